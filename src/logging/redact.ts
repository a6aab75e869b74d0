// Passwords must never reach a log: every line goes through this before it is written.
// A value is masked whole: "double quoted" (with \" escapes), 'single quoted', \"quoted inside
// JSON\", a quote that never closes (to the end of the line), or a bare word.

const QUOTED = [String.raw`"(?:[^"\\\n]|\\.)*"`, String.raw`'[^'\n]*'`].join('|');

const VALUE = [
  String.raw`\\"(?:[^\\\n]|\\(?!"))*?\\"`, // \"...\" as JSON.stringify writes a quoted option
  String.raw`"(?:[^"\\\n]|\\.)*"`,
  String.raw`'[^'\n]*'`,
  String.raw`\\?["'][^\n]*`, // an opening quote without its closing one
  String.raw`[^\s"']\S*`,
].join('|');

const PATTERNS: RegExp[] = [
  // --password=VALUE, --password VALUE (not --password-file=...)
  new RegExp(String.raw`(--password(?:=|\s+))(?:${VALUE})`, 'gi'),
  // "password":"..." (JSON)
  /("password"\s*:\s*)"(?:[^"\\\n]|\\.)*"/gi,
  // password=VALUE, MYSQL_PWD=VALUE
  new RegExp(String.raw`((?<![-\w])(?:password|mysql_pwd)\s*=\s*)(?:${VALUE})`, 'gi'),
  // password: 'VALUE' (quoted only: MySQL's own "(using password: YES)" must stay readable)
  new RegExp(String.raw`((?<![-\w])password\s*:\s*)(?:${QUOTED})`, 'gi'),
];

export function redact(text: string, secrets: readonly string[] = []): string {
  let out = text;
  for (const s of secrets) {
    if (s.length > 0) out = out.split(s).join('***');
  }
  for (const re of PATTERNS) out = out.replace(re, (_m, pre: string) => `${pre}***`);
  return out;
}
