import { readFileSync } from 'node:fs';

// The bundle gets the version baked in by esbuild (`define`); a tsc build reads package.json.
declare const __ZRM_INNOBACKUPEX_VERSION__: string | undefined;

function fromPackageJson(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: string };
    return pkg.version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

export const VERSION: string =
  typeof __ZRM_INNOBACKUPEX_VERSION__ === 'string' ? __ZRM_INNOBACKUPEX_VERSION__ : fromPackageJson();
