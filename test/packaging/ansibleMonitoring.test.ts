import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { makeTempDir } from '../helpers/tempDir.js';

// The role's monitoring files as they render: the NRPE command and its sudoers rule (checked by
// visudo), the textfile and verify units with their budgets. Rendered by Ansible's own template
// module into a temp dir with the role's defaults, never onto this machine's /etc.
const ROLE = fileURLToPath(new URL('../../../ansible/roles/zrm_innobackupex/', import.meta.url));
const TEMPLATES = ['nagios-command.cfg.j2', 'nagios-sudoers.j2', 'zrm-innobackupex-textfile.service.j2', 'zrm-innobackupex-textfile.timer.j2', 'zrm-innobackupex-verify.service.j2', 'zrm-innobackupex-verify.timer.j2'];

async function render(extra: Record<string, unknown>): Promise<Map<string, string>> {
  const tmp = await makeTempDir('zrm-role-mon-');
  try {
    const play = join(tmp.path, 'render.yml');
    await writeFile(
      play,
      [
        '- hosts: localhost',
        '  gather_facts: false',
        '  connection: local',
        `  vars_files: ['${join(ROLE, 'defaults/main.yml')}', '${join(ROLE, 'vars/monitoring.yml')}']`,
        '  tasks:',
        ...TEMPLATES.map((t) => `    - ansible.builtin.template: { src: '${join(ROLE, 'templates', t)}', dest: '${join(tmp.path, t.replace(/\.j2$/, ''))}', mode: '0600' }`),
        '',
      ].join('\n'),
    );
    const r = await execa('ansible-playbook', ['-i', 'localhost,', play, '-e', JSON.stringify({ zrm_innobackupex_is_database_host: false, ...extra })], {
      env: { ANSIBLE_NOCOLOR: '1', ANSIBLE_LOCALHOST_WARNING: 'false', PATH: process.env.PATH ?? '/usr/bin:/bin' },
      reject: false,
    });
    assert.equal(r.exitCode, 0, r.stdout + r.stderr);
    const out = new Map<string, string>();
    for (const t of TEMPLATES) out.set(t.replace(/\.j2$/, ''), await readFile(join(tmp.path, t.replace(/\.j2$/, '')), 'utf8'));
    if (extra.zrm_innobackupex_nagios_user !== '') {
      const v = await execa('/usr/sbin/visudo', ['-cf', join(tmp.path, 'nagios-sudoers')], { reject: false });
      assert.equal(v.exitCode, 0, `visudo: ${v.stdout}${v.stderr}`);
    }
    return out;
  } finally {
    await tmp.cleanup();
  }
}

test('backup server: the NRPE command checks the destination too, and sudo allows exactly it', async () => {
  const f = await render({ zrm_innobackupex_is_backup_server: true, zrm_innobackupex_check_max_verified_age: '8d' });
  assert.match(f.get('nagios-command.cfg') ?? '', /^command\[check_zrm_innobackupex\]=\/usr\/bin\/sudo -n \/usr\/bin\/zrm-innobackupex check --max-age 26h --max-verified-age 8d --destination \/var\/lib\/mysql-zrm$/m);
  assert.match(f.get('nagios-sudoers') ?? '', /^nagios ALL=\(root\) NOPASSWD: \/usr\/bin\/zrm-innobackupex check --max-age 26h --max-verified-age 8d --destination \/var\/lib\/mysql-zrm$/m);
  const verify = f.get('zrm-innobackupex-verify.service') ?? '';
  assert.match(verify, /^ExecStart=\/usr\/bin\/zrm-innobackupex verify-newest --destination \/var\/lib\/mysql-zrm --scratch \/var\/tmp\/zrm-innobackupex-verify --max-scratch 100G$/m);
  assert.match(verify, /^TimeoutStartSec=6h$/m);
  assert.match(f.get('zrm-innobackupex-verify.timer') ?? '', /^OnCalendar=\*-\*-\* 10:00:00$/m);
});

test('database host: no --destination; the textfile unit writes the file named', async () => {
  const f = await render({ zrm_innobackupex_is_backup_server: false, zrm_innobackupex_prometheus_textfile: '/var/lib/prometheus/node-exporter/zrm.prom', zrm_innobackupex_nagios_user: '' });
  assert.match(f.get('nagios-command.cfg') ?? '', /^command\[check_zrm_innobackupex\]=\/usr\/bin\/zrm-innobackupex check --max-age 26h$/m);
  assert.match(f.get('zrm-innobackupex-textfile.service') ?? '', /^ExecStart=\/usr\/bin\/zrm-innobackupex status --prometheus \/var\/lib\/prometheus\/node-exporter\/zrm.prom$/m);
  assert.match(f.get('zrm-innobackupex-textfile.timer') ?? '', /^OnUnitActiveSec=5min$/m);
});
