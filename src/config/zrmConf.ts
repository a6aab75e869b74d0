import { readFile } from 'node:fs/promises';

// ZRM's per-run settings file: `key=value` a line, split at the first '=', blank lines skipped.
export type ZrmConf = Map<string, string>;

export function parseZrmConf(text: string): ZrmConf {
  const conf: ZrmConf = new Map();
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\r$/, '');
    if (line.trim() === '') continue;
    const eq = line.indexOf('=');
    if (eq < 0) continue;
    conf.set(line.slice(0, eq).trim(), line.slice(eq + 1));
  }
  return conf;
}

export function formatZrmConf(entries: Iterable<[string, string]>): string {
  let out = '';
  for (const [k, v] of entries) out += `${k}=${v}\n`;
  return out;
}

/** Reads the file named by ZRM_CONF; an unset variable gives an empty config. */
export async function loadZrmConf(env: NodeJS.ProcessEnv): Promise<ZrmConf> {
  const path = env.ZRM_CONF;
  if (!path) return new Map();
  return parseZrmConf(await readFile(path, 'utf8'));
}
