import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lstat, readFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeTempDir } from '../../helpers/tempDir.js';
import { makeContext, runPlugin as run, type TestContext } from './helpers.js';

// A real child program stands in for the copy plugin and records how it was called.
const FAKE_COPY = fileURLToPath(new URL('../../../../test/fixtures/snapshot/fake-copy-plugin.mjs', import.meta.url));

interface CallRecord {
  argv: string[];
  snapshotConf: string | null;
  snapshotConfText: string | null;
  snapshotConfMode: number | null;
  zrmConf: string | null;
}

interface Setup {
  root: string;
  zrmConf: string;
  record: string;
  ctx: (extra?: NodeJS.ProcessEnv) => TestContext;
  recorded: () => Promise<CallRecord>;
}

async function withForwarding(fn: (s: Setup) => Promise<void>, copyPlugin = FAKE_COPY): Promise<void> {
  const tmp = await makeTempDir('zrm-snapfwd-');
  try {
    const zrmConf = join(tmp.path, 'ZSrKbRbivq');
    await writeFile(zrmConf, `user=zrm_backup\npassword=pw\ncopy-plugin=${copyPlugin}\n`, { mode: 0o600 });
    const record = join(tmp.path, 'record.json');
    await fn({
      root: tmp.path,
      zrmConf,
      record,
      // FAKE_COPY_RECORD is only in ctx.env: the child sees it only if ctx.env is what it inherits.
      ctx: (extra = {}) => makeContext(join(tmp.path, 'state'), { ZRM_CONF: zrmConf, FAKE_COPY_RECORD: record, ...extra }),
      recorded: async () => JSON.parse(await readFile(record, 'utf8')) as CallRecord,
    });
  } finally {
    await tmp.cleanup();
  }
}


const gone = async (path: string) => {
  await assert.rejects(lstat(path), { code: 'ENOENT' });
};

test('with --host, runs the copy plugin with ZRM\'s exact argv and relays its six lines', () =>
  withForwarding(async ({ root, zrmConf, ctx, recorded }) => {
    const c = ctx();
    const argv = ['--action', 'get-vm-device-details', '--directory', '/srv/data//mysql', '--sname', 'zrmsOk', '--host', '127.0.0.1'];
    assert.equal(await run(c, argv), 0);
    const r = await recorded();
    assert.deepEqual(r.argv, [
      '--snapshot-command',
      '--host',
      '127.0.0.1',
      '--snapshot-parameters',
      '--action=get-vm-device-details --directory=/srv/data//mysql --sname=zrmsOk ',
    ]);
    assert.equal(r.snapshotConf, `${zrmConf}.rmot`);
    assert.equal(r.snapshotConfText, 'backup-set\ndestination\n', 'the keys that tell backup runs apart');
    assert.equal(r.snapshotConfMode, 0o600);
    assert.equal(r.zrmConf, zrmConf);
    assert.equal(
      c.stdout.text,
      'device=/dev/null\nsnapshot-device=/dev/null\ndevice-mount-point=null\nfilesystem-type=null\n' +
        'relative-copy-dir=;16877;102;103\nsnapshot-mount-point=/var/lib/mysql-zrm-innobackupex\n',
    );
    assert.equal(c.stderr.text, '');
    await gone(`${zrmConf}.rmot`);
    await gone(join(root, 'state')); // nothing done locally
    assert.ok(c.lines.some((l) => l.startsWith('info: snapshot get-vm-device-details (forwarded): ')));
    assert.ok(c.lines.some((l) => l === `info: forwarding get-vm-device-details to 127.0.0.1 through ${FAKE_COPY}`));
    assert.ok(c.lines.includes('info: snapshot get-vm-device-details: ok'));
  }));

test('relays stdout byte for byte, without adding or stripping a final newline', () =>
  withForwarding(async ({ ctx }) => {
    const c = ctx({ FAKE_COPY_STDOUT: 'a=1\n\nb=ü  \nno newline at end' });
    assert.equal(await run(c, ['--action=umount', '--directory=/s', '--host=db1']), 0);
    assert.equal(c.stdout.text, 'a=1\n\nb=ü  \nno newline at end');
  }));

test('a failing copy plugin: its output relayed, an error line added, exit 1, .rmot removed', () =>
  withForwarding(async ({ zrmConf, ctx, recorded }) => {
    const c = ctx({ FAKE_COPY_EXIT: '3', FAKE_COPY_STDOUT: '', FAKE_COPY_STDERR: 'ERROR from server\n' });
    assert.equal(await run(c, ['--action', 'mount', '--dev', '/dev/null', '--directory', '/s', '--fstype', 'null', '--host', 'db1']), 1);
    assert.deepEqual((await recorded()).argv.slice(-1), ['--action=mount --dev=/dev/null --directory=/s --fstype=null ']);
    assert.equal(c.stdout.text, '');
    assert.match(c.stderr.text, /^ERROR from server\ninno-snapshot: mount on db1 failed: copy plugin .* exit status 3\n$/);
    await gone(`${zrmConf}.rmot`);
    assert.ok(c.lines.some((l) => l.startsWith('error: snapshot mount: failed')));
  }));

test('a copy plugin that cannot be started: exit 1, .rmot removed', async () => {
  await withForwarding(async ({ zrmConf, ctx }) => {
    const c = ctx();
    assert.equal(await run(c, ['--action', 'remove-snapshot', '--dev', '/dev/null', '--host', 'db1']), 1);
    assert.match(c.stderr.text, /^inno-snapshot: remove-snapshot on db1 failed: copy plugin \/nowhere\/copy\.pl: .*ENOENT/);
    await gone(`${zrmConf}.rmot`);
  }, '/nowhere/copy.pl');
});

test('a planted .rmot symlink is replaced, not written through', () =>
  withForwarding(async ({ root, zrmConf, ctx, recorded }) => {
    const victim = join(root, 'victim');
    await writeFile(victim, 'keep me\n');
    await symlink(victim, `${zrmConf}.rmot`);
    assert.equal(await run(ctx(), ['--action', 'umount', '--host', 'db1']), 0);
    assert.equal((await recorded()).snapshotConfText, 'backup-set\ndestination\n');
    assert.equal(await readFile(victim, 'utf8'), 'keep me\n');
    await gone(`${zrmConf}.rmot`);
  }));

test('refuses to forward without ZRM_CONF, with an empty host, or a value the far end would split', () =>
  withForwarding(async ({ root, record, ctx }) => {
    const noConf = makeContext(join(root, 'state'), { FAKE_COPY_RECORD: record });
    assert.equal(await run(noConf, ['--action', 'umount', '--host', 'db1']), 1);
    assert.match(noConf.stderr.text, /ZRM_CONF is not set: cannot forward umount to db1/);
    const empty = ctx();
    assert.equal(await run(empty, ['--action', 'umount', '--host=']), 1);
    assert.match(empty.stderr.text, /--host is empty/);
    const spaced = ctx();
    assert.equal(await run(spaced, ['--action', 'get-vm-device-details', '--directory', '/my data', '--host', 'db1']), 1);
    assert.match(spaced.stderr.text, /--directory: its value contains whitespace/);
    await gone(record); // the copy plugin never ran
  }));
