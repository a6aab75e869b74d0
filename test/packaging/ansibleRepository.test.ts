import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { withTempDir } from '../helpers/tempDir.js';

// The role's signed repository (tasks/repository*.yml): where the key goes for what
// zrm_innobackupex_repository_key is, the key tasks themselves (run against a temporary
// directory), and the deb822 file that trusts that key only. The fleet test installs from a
// real repository over HTTP.
const ROLE = fileURLToPath(new URL('../../../ansible/roles/zrm_innobackupex/', import.meta.url));
const KEY = '-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nmDMEZtest\n-----END PGP PUBLIC KEY BLOCK-----';

/** Runs `tasks` on localhost with the role's defaults and vars, `vars` as extra vars. */
async function play(dir: string, tasks: string[], vars: Record<string, unknown>): Promise<string> {
  const file = join(dir, 'play.yml');
  await writeFile(
    file,
    [
      '- hosts: localhost',
      '  gather_facts: false',
      '  connection: local',
      `  vars_files: ['${join(ROLE, 'defaults/main.yml')}', '${join(ROLE, 'vars/main.yml')}']`,
      '  tasks:',
      ...tasks,
      '',
    ].join('\n'),
  );
  const r = await execa('ansible-playbook', ['-i', 'localhost,', file, '-e', JSON.stringify(vars)], {
    env: { ANSIBLE_NOCOLOR: '1', ANSIBLE_LOCALHOST_WARNING: 'false', ANSIBLE_ROLES_PATH: join(ROLE, '..') },
    reject: false,
  });
  assert.equal(r.exitCode, 0, r.stdout + r.stderr);
  return r.stdout;
}

async function keyPlace(family: string, key: string): Promise<string> {
  return withTempDir('zrm-role-repo-', async (dir) => {
    const out = await play(dir, ['    - ansible.builtin.debug:', '        msg: "KEY=[{{ __zrm_innobackupex_repository_key_kind }} {{ __zrm_innobackupex_repository_key_dest }}]"'], {
      ansible_facts: { os_family: family },
      zrm_innobackupex_repository_key: key,
    });
    return /KEY=\[([^\]]*)\]/.exec(out)?.[1] ?? out;
  });
}

test('the repository key: a path, a URL or the key itself, placed where apt or rpm looks', async () => {
  const apt = '/etc/apt/keyrings/mysql-zrm-innobackupex';
  assert.equal(await keyPlace('Debian', 'files/mysql-zrm-innobackupex.asc'), `path ${apt}.asc`);
  assert.equal(await keyPlace('Debian', '/srv/keys/mysql-zrm-innobackupex.gpg'), `path ${apt}.gpg`);
  assert.equal(await keyPlace('Debian', 'https://repo.example.org/zrm/mysql-zrm-innobackupex.asc'), `url ${apt}.asc`);
  assert.equal(await keyPlace('Debian', KEY), `content ${apt}.asc`);
  const rpm = '/etc/pki/rpm-gpg/RPM-GPG-KEY-mysql-zrm-innobackupex';
  assert.equal(await keyPlace('RedHat', 'https://repo.example.org/zrm/mysql-zrm-innobackupex.asc'), `url ${rpm}`);
  assert.equal(await keyPlace('RedHat', KEY), `content ${rpm}`);
});

test('the key tasks copy, write or download the key; the .sources file trusts only it', async () => {
  await withTempDir('zrm-role-repo-', async (dir) => {
    const source = join(dir, 'published.asc');
    await writeFile(source, `${KEY}\n`);
    const cases: Array<[string, string]> = [
      ['path', source],
      ['content', KEY],
      ['url', `file://${source}`],
    ];
    for (const [kind, key] of cases) {
      const dest = join(dir, kind, 'keyrings', 'zrm.asc');
      const sources = join(dir, kind, 'zrm.sources');
      await play(
        dir,
        [
          `    - ansible.builtin.include_tasks: ${join(ROLE, 'tasks/repository-key.yml')}`,
          '    - ansible.builtin.template:',
          `        src: ${join(ROLE, 'templates/repository.sources.j2')}`,
          `        dest: ${sources}`,
          '        mode: "0644"',
        ],
        {
          ansible_facts: { os_family: 'Debian', distribution_release: 'trixie' },
          zrm_innobackupex_repository_url: 'http://10.0.0.5/zrm/',
          zrm_innobackupex_repository_key: key,
          __zrm_innobackupex_repository_key_dest: dest,
        },
      );
      assert.equal(await readFile(dest, 'utf8'), `${KEY}\n`, `${kind}: the key on the host`);
      const text = await readFile(sources, 'utf8');
      assert.match(text, /^Types: deb$/m);
      assert.match(text, /^URIs: http:\/\/10\.0\.0\.5\/zrm\/deb$/m, `${kind}: ${text}`);
      assert.match(text, /^Suites: trixie$/m);
      assert.match(text, /^Components: main$/m);
      assert.equal(/^Signed-By: (.*)$/m.exec(text)?.[1], dest, `${kind}: Signed-By names the installed key`);
    }
  });
});

test('RedHat: yum_repository checks the packages and the metadata with the installed key', () => {
  const tasks = readFileSync(join(ROLE, 'tasks/repository-RedHat.yml'), 'utf8');
  assert.match(tasks, /^ {4}gpgcheck: true$/m);
  assert.match(tasks, /^ {4}repo_gpgcheck: true$/m);
  assert.match(tasks, /^ {4}gpgkey: "file:\/\/\{\{ __zrm_innobackupex_repository_key_dest \}\}"$/m);
  assert.match(tasks, /baseurl: .*\/rpm"$/m);
});

test('package_state is present or latest, and latest refreshes the lists first', () => {
  const specs = readFileSync(join(ROLE, 'meta/argument_specs.yml'), 'utf8');
  assert.match(specs, /^ {6}zrm_innobackupex_package_state:\n {8}type: str\n {8}choices: \[present, latest\]\n {8}default: present$/m);
  for (const family of ['Debian', 'RedHat']) {
    const tasks = readFileSync(join(ROLE, `tasks/install-${family}.yml`), 'utf8');
    assert.match(tasks, /state: "\{\{ zrm_innobackupex_package_state \}\}"\n {4}update_cache: "\{\{ zrm_innobackupex_package_state == 'latest'( or [^"]*)? \}\}"/);
  }
});
