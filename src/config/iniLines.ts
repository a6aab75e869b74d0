import type { ConfigProblem } from './configError.js';

// A strict reader of the ini dialect of innobackupex.conf. The `ini` package accepts anything
// (an unclosed `[server`, a stray word) and silently drops it; here every line is either blank,
// a comment, a `[section]` header or `key = value`, and anything else is reported by line.

export interface ConfigEntry {
  file: string;
  line: number;
  section: string;
  key: string;
  value: string;
}

const NAME = /^[A-Za-z0-9_.-]+$/;

/** `value  ; comment` → `value`; `"quoted"` → `quoted`. A `#` or `;` inside a word stays. */
function cleanValue(raw: string): string {
  const v = raw.replace(/\s[#;].*$/, '').trim();
  const q = v[0];
  if (v.length >= 2 && (q === '"' || q === "'") && v.endsWith(q)) return v.slice(1, -1);
  return v;
}

/** A `[name]` line. */
export interface SectionHeader {
  file: string;
  line: number;
  name: string;
}

export interface IniLines {
  entries: ConfigEntry[];
  headers: SectionHeader[];
  problems: ConfigProblem[];
}

export function parseIniLines(text: string, file: string): IniLines {
  const entries: ConfigEntry[] = [];
  const headers: SectionHeader[] = [];
  const problems: ConfigProblem[] = [];
  const seen = new Map<string, number>();
  let section: string | undefined;
  text.replace(/^\uFEFF/, '').split(/\r?\n/).forEach((rawLine, i) => {
    const line = i + 1;
    const t = rawLine.trim();
    if (t === '' || t.startsWith('#') || t.startsWith(';')) return;
    if (t.startsWith('[')) {
      const head = /^\[\s*([^\]]*?)\s*\]$/.exec(t);
      if (!head || !NAME.test(head[1] ?? '')) {
        // Keys after a broken header would land in the wrong section: skip them, reported once.
        problems.push({ file, line, message: `malformed section header '${t.slice(0, 40)}' (expected [name])` });
        section = '\0broken';
        return;
      }
      section = head[1] as string;
      headers.push({ file, line, name: section });
      return;
    }
    const kv = /^([^=\s]+)\s*=(.*)$/.exec(t);
    if (!kv || !NAME.test(kv[1] ?? '')) {
      // The line itself is not echoed: it may be a secret someone pasted into the wrong file.
      problems.push({ file, line, section: visible(section), message: 'malformed line: expected key = value, [section] or a # comment' });
      return;
    }
    const key = kv[1] as string;
    if (section === '\0broken') return;
    if (section === undefined) {
      problems.push({ file, line, message: `'${key}' is outside any [section]` });
      return;
    }
    const id = `${section}\0${key}`;
    const first = seen.get(id);
    if (first !== undefined) {
      problems.push({ file, line, section, message: `${key} is set twice (first at line ${first})` });
      return;
    }
    seen.set(id, line);
    entries.push({ file, line, section, key, value: cleanValue(kv[2] ?? '') });
  });
  return { entries, headers, problems };
}

function visible(section: string | undefined): string | undefined {
  return section === '\0broken' ? undefined : section;
}
