// Passwords must never reach a log: every line goes through this before it is written.
const PATTERNS: RegExp[] = [
  /(--password[=\s])(\S+)/gi,
  /(\bpassword\s*=\s*)(\S+)/gi,
];

export function redact(text: string, secrets: readonly string[] = []): string {
  let out = text;
  for (const s of secrets) {
    if (s.length > 0) out = out.split(s).join('***');
  }
  for (const re of PATTERNS) out = out.replace(re, (_m, pre: string) => `${pre}***`);
  return out;
}
