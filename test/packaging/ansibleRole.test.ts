import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { CONFIG_KEYS, DEFAULT_CONFIG } from '../../src/config/appConfig.js';
import { makeTempDir } from '../helpers/tempDir.js';

// The Ansible role must be able to set every key of innobackupex.conf, document the package's
// defaults as the code has them, and make Node.js available where it claims to work.
const ROLE = fileURLToPath(new URL('../../../ansible/roles/zrm_innobackupex/', import.meta.url));
const read = (path: string): string => readFileSync(join(ROLE, path), 'utf8');

/** Keys the role deliberately leaves to the package file, each with its reason. */
const NOT_IN_ROLE = new Map<string, string>([
  // Written by tasks/auth.yml (templates/innobackupex-auth.conf.j2) with the secret it makes.
  ['auth.secret_file', 'set by the authentication tasks'],
  // The role does not make certificates yet: [tls] is set by hand (README, "Who may connect").
  ['tls.cert', 'certificates are not deployed by the role yet'],
  ['tls.key', 'certificates are not deployed by the role yet'],
  ['tls.ca', 'certificates are not deployed by the role yet'],
  ['tls.server_name', 'certificates are not deployed by the role yet'],
  // A compatibility switch for testing clients against an older server, not a fleet setting.
  ['server.max_v2_version', 'only for testing clients against a 2.0 server'],
]);

/** A role-internal `__name` (vars/main.yml) is computed from the public `name`. */
const publicName = (variable: string): string => variable.replace(/^__/, '');

/** `section.key` → role variable, from the settings table of templates/innobackupex.conf.j2. */
function templateKeys(): Map<string, string> {
  const text = read('templates/innobackupex.conf.j2');
  const table = text.slice(text.indexOf('{% set settings = {'), text.indexOf('} %}'));
  const out = new Map<string, string>();
  let section = '';
  for (const line of table.split('\n')) {
    const head = /^\s*'(\w+)': \[$/.exec(line);
    if (head?.[1]) section = head[1];
    const entry = /^\s*\['(\w+)', (\w+)\],?$/.exec(line);
    if (entry?.[1] && entry[2]) out.set(`${section}.${entry[1]}`, entry[2]);
  }
  return out;
}

test('the role sets every key of the config schema, and no other', () => {
  const role = [...templateKeys().keys()].sort();
  const schema = CONFIG_KEYS.map((k) => `${k.section}.${k.key}`).filter((id) => !NOT_IN_ROLE.has(id)).sort();
  assert.deepEqual(role, schema);
});

test('each of those variables has a default and an argument spec', () => {
  const defaults = read('defaults/main.yml');
  const specs = read('meta/argument_specs.yml');
  for (const [id, internal] of templateKeys()) {
    const variable = publicName(internal);
    assert.match(defaults, new RegExp(`^${variable}:`, 'm'), `${id}: ${variable} missing in defaults/main.yml`);
    assert.match(specs, new RegExp(`^ {6}${variable}:$`, 'm'), `${id}: ${variable} missing in meta/argument_specs.yml`);
    if (variable !== internal) assert.match(read('vars/main.yml'), new RegExp(`^${internal}:`, 'm'), `${id}: ${internal} missing in vars/main.yml`);
  }
});

test('the package defaults the role documents are the code\'s', () => {
  const defaults = read('defaults/main.yml');
  const specs = read('meta/argument_specs.yml');
  let checked = 0;
  for (const [id, variable] of templateKeys()) {
    const spec = CONFIG_KEYS.find((k) => `${k.section}.${k.key}` === id);
    assert.ok(spec, id);
    const value = (DEFAULT_CONFIG as unknown as Record<string, Record<string, unknown>>)[spec.section]?.[spec.field];
    const shown = Array.isArray(value) ? value.join(' ') : String(value);
    const comment = new RegExp(`^${variable}: .*\\(package: ([^),]+)`, 'm').exec(defaults)?.[1];
    if (comment !== undefined && /^[\w/.-]+$/.test(comment)) {
      assert.equal(comment, shown, `defaults/main.yml says ${variable} is ${comment} in the package`);
      checked++;
    }
    const described = new RegExp(`^ {6}${variable}:\\n(?: {8}.*\\n)*? {8}description: .*package's default \\((\\d+)\\)`, 'm').exec(specs)?.[1];
    if (described !== undefined) {
      assert.equal(described, shown, `argument_specs says ${variable} defaults to ${described}`);
      checked++;
    }
  }
  assert.ok(checked >= 8, `only ${checked} documented defaults found`);
});

test('meta/main.yml claims only platforms with Node.js >= 18.19 at hand', () => {
  const meta = read('meta/main.yml');
  assert.doesNotMatch(meta, /bullseye|buster|stretch/, 'Debian before bookworm has Node.js 12 or older');
  assert.match(meta, /name: Debian\n\s+versions: \[bookworm\]/);
});

/** Renders the role's RedHat variables for a fake host (facts given as extra vars). */
async function renderRedHat(facts: Record<string, string>): Promise<string> {
  const tmp = await makeTempDir('zrm-role-');
  try {
    const play = join(tmp.path, 'render.yml');
    await writeFile(
      play,
      [
        '- hosts: localhost',
        '  gather_facts: false',
        '  connection: local',
        `  vars_files: ['${join(ROLE, 'defaults/main.yml')}', '${join(ROLE, 'vars/RedHat.yml')}']`,
        '  tasks:',
        '    - ansible.builtin.debug:',
        '        msg: "MODULE=[{{ __zrm_innobackupex_nodejs_module }}] SUPER=[{{ __zrm_innobackupex_default_super_server }}]"',
        '',
      ].join('\n'),
    );
    const r = await execa('ansible-playbook', ['-i', 'localhost,', play, '-e', JSON.stringify({ ansible_facts: { os_family: 'RedHat', ...facts } })], {
      env: { ANSIBLE_NOCOLOR: '1', ANSIBLE_LOCALHOST_WARNING: 'false' },
      reject: false,
    });
    assert.equal(r.exitCode, 0, r.stdout + r.stderr);
    return /MODULE=\[[^\]]*\] SUPER=\[[^\]]*\]/.exec(r.stdout)?.[0] ?? r.stdout;
  } finally {
    await tmp.cleanup();
  }
}

test('EL 8 and 9: the nodejs module stream is enabled before the package; Fedora needs none', async () => {
  assert.equal(await renderRedHat({ distribution: 'Rocky', distribution_major_version: '9' }), 'MODULE=[@nodejs:20/common] SUPER=[systemd]');
  assert.equal(await renderRedHat({ distribution: 'RedHat', distribution_major_version: '8' }), 'MODULE=[@nodejs:20/common] SUPER=[xinetd]');
  assert.equal(await renderRedHat({ distribution: 'Fedora', distribution_major_version: '40' }), 'MODULE=[] SUPER=[systemd]');
  const tasks = read('tasks/install-RedHat.yml');
  const enable = tasks.indexOf('name: "{{ __zrm_innobackupex_nodejs_module }}"');
  assert.ok(enable > 0 && enable < tasks.indexOf('zrm_innobackupex_package_name'), 'the module stream is enabled before the package is installed');
});
