import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { CONFIG_KEYS, DEFAULT_CONFIG, parseAppConfig, type ConfigKey } from '../../src/config/appConfig.js';

// packaging/etc/innobackupex.conf is the documentation of the settings: every key that
// appConfig.ts reads, commented out at its default, under a line saying what it does.
const SHIPPED = new URL('../../../packaging/etc/innobackupex.conf', import.meta.url);
const text = readFileSync(SHIPPED, 'utf8');
const lines = text.split('\n');

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

/** The schema entry of a documented `section.key`: the AppConfig field it sets. */
function fieldOf(id: string): ConfigKey {
  const spec = CONFIG_KEYS.find((k) => `${k.section}.${k.key}` === id);
  assert.ok(spec, `${id} is documented but the parser knows no such key`);
  const defaults = DEFAULT_CONFIG as unknown as Record<string, Record<string, unknown>>;
  assert.ok(spec.field in (defaults[spec.section] ?? {}), `${id}: field ${spec.section}.${spec.field} has no default`);
  return spec;
}

test('the shipped file, as it is, means the defaults', () => {
  assert.deepEqual(parseAppConfig(text), DEFAULT_CONFIG);
});

test('every key the parser reads is documented, and no other', () => {
  assert.deepEqual(documentedKeys(), CONFIG_KEYS.map((k) => `${k.section}.${k.key}`).sort());
});

test('every documented key resolves to a field of the settings', () => {
  for (const id of documentedKeys()) fieldOf(id);
});

test('every value shown is the default', () => {
  const uncommented = parseAppConfig(text.replace(/^;/gm, '')) as unknown as Record<string, Record<string, unknown>>;
  const defaults = DEFAULT_CONFIG as unknown as Record<string, Record<string, unknown>>;
  for (const id of documentedKeys()) {
    const { section, field } = fieldOf(id);
    assert.deepEqual(uncommented[section]?.[field], defaults[section]?.[field], id);
  }
});

test('each key has a line of explanation above it', () => {
  lines.forEach((line, i) => {
    if (!line.startsWith(';')) return;
    assert.match(lines[i - 1] ?? '', /^# \S/, `no explanation above '${line}'`);
  });
});
