import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { DEFAULT_CONFIG, appConfigFrom, parseAppConfig } from '../../src/config/appConfig.js';

// packaging/etc/innobackupex.conf is the documentation of the settings: every key that
// appConfig.ts reads, commented out at its default, under a line saying what it does.
const SHIPPED = new URL('../../../packaging/etc/innobackupex.conf', import.meta.url);
const text = readFileSync(SHIPPED, 'utf8');
const lines = text.split('\n');

const camel = (key: string): string => key.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());

/** `section.key` of every commented-out setting (`;key = value`) in the file. */
function documentedKeys(): string[] {
  const keys: string[] = [];
  let section = '';
  for (const line of lines) {
    const head = /^\[(\w+)\]$/.exec(line);
    if (head?.[1]) section = head[1];
    const key = /^;(\w+) =/.exec(line);
    if (key?.[1]) keys.push(`${section}.${key[1]}`);
  }
  return keys.sort();
}

/** `section.key` of every setting the parser looks up: it reads them from empty sections. */
function keysTheParserReads(): string[] {
  const read = new Set<string>();
  const section = (name: string) =>
    new Proxy({}, {
      get: (_t, key) => {
        if (typeof key === 'string') read.add(`${name}.${key}`);
        return undefined;
      },
    });
  const raw = new Proxy({}, { get: (_t, name) => (typeof name === 'string' ? section(name) : undefined) });
  appConfigFrom(raw as Parameters<typeof appConfigFrom>[0]);
  return [...read].sort();
}

test('the shipped file, as it is, means the defaults', () => {
  assert.deepEqual(parseAppConfig(text), DEFAULT_CONFIG);
});

test('every key the parser reads is documented, and no other', () => {
  assert.deepEqual(documentedKeys(), keysTheParserReads());
});

test('every value shown is the default', () => {
  const uncommented = parseAppConfig(text.replace(/^;/gm, '')) as unknown as Record<string, Record<string, unknown>>;
  const defaults = DEFAULT_CONFIG as unknown as Record<string, Record<string, unknown>>;
  for (const key of documentedKeys()) {
    const [section = '', name = ''] = key.split('.');
    assert.deepEqual(uncommented[section]?.[camel(name)], defaults[section]?.[camel(name)], key);
  }
});

test('each key has a line of explanation above it', () => {
  lines.forEach((line, i) => {
    if (!line.startsWith(';')) return;
    assert.match(lines[i - 1] ?? '', /^# \S/, `no explanation above '${line}'`);
  });
});
