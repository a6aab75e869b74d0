import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, chown, lstat, mkdir, readdir, readFile, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { armState, readArmedState, STATE_FILE } from '../../../src/snapshot/state.js';
import { makeTempDir } from '../../helpers/tempDir.js';
import { makeContext, memoryLogger, runPlugin as run, type TestContext } from './helpers.js';

const PASSWORD = 's3cr=t pw';

interface Env {
  root: string;
  stateDir: string;
  zrmConf: string;
  ctx: () => TestContext;
}

async function withEnv(fn: (e: Env) => Promise<void>, conf = `user=zrm_backup\npassword=${PASSWORD}\ncopy-plugin=/nowhere\n`): Promise<void> {
  const tmp = await makeTempDir('zrm-snapact-');
  try {
    const zrmConf = join(tmp.path, 'zrm.conf');
    await writeFile(zrmConf, conf, { mode: 0o600 });
    const stateDir = join(tmp.path, 'state');
    await fn({ root: tmp.path, stateDir, zrmConf, ctx: () => makeContext(stateDir, { ZRM_CONF: zrmConf }) });
  } finally {
    await tmp.cleanup();
  }
}


test('get-vm-device-details prints the six lines from a stat of the directory', () =>
  withEnv(async ({ root, ctx }) => {
    const data = join(root, 'data', 'mysql');
    await mkdir(data, { recursive: true });
    await chmod(data, 0o750);
    await chown(data, 102, 103);
    const c = ctx();
    assert.equal(await run(c, ['--action', 'get-vm-device-details', '--directory', data, '--sname', 'zrmX']), 0);
    const st = await stat(data);
    assert.equal(st.mode, 0o40750);
    assert.equal(
      c.stdout.text,
      'device=/dev/null\nsnapshot-device=/dev/null\ndevice-mount-point=null\nfilesystem-type=null\n' +
        `relative-copy-dir=;${0o40750};102;103\nsnapshot-mount-point=/tmp/zrm-innosnap\n`,
    );
    assert.equal(c.stderr.text, '');
    assert.ok(c.lines.some((l) => l.startsWith('info: snapshot get-vm-device-details (local): ') && l.includes(data)));
    assert.ok(c.lines.includes('info: snapshot get-vm-device-details: ok'));
  }));

test('get-vm-device-details of a missing directory: clear error, exit 1, no output', () =>
  withEnv(async ({ root, ctx }) => {
    const c = ctx();
    const missing = join(root, 'nope');
    assert.equal(await run(c, ['--action=get-vm-device-details', `--directory=${missing}`, '--sname=s']), 1);
    assert.equal(c.stdout.text, '');
    assert.match(c.stderr.text, new RegExp(`^inno-snapshot: cannot stat directory ${missing}: .*ENOENT.*\\n$`));
    assert.ok(c.lines.some((l) => l.startsWith('error: snapshot get-vm-device-details: failed')));
  }));

test('create-snapshot makes the state directory, drops a leftover state, prints nothing, and does not sleep', () =>
  withEnv(async ({ stateDir, ctx }) => {
    const c = ctx();
    const started = Date.now();
    assert.equal(await run(c, ['--action', 'create-snapshot', '--dev', '/dev/null', '--size', '10', '--sname', 'null', '--directory', stateDir]), 0);
    assert.equal((await lstat(stateDir)).mode & 0o777, 0o700);
    await armState(stateDir, { user: 'left', password: 'over' });
    assert.equal(await run(ctx(), ['--action', 'create-snapshot', '--dev', '/dev/null']), 0);
    assert.deepEqual(await readdir(stateDir), ['lock'], 'armed state gone, the run holds the lock');
    // The old plugin slept 30 s here, under FLUSH TABLES WITH READ LOCK.
    assert.ok(Date.now() - started < 10_000, 'create-snapshot sleeps');
    assert.equal(c.stdout.text + c.stderr.text, '');
  }));

test('create-snapshot refuses a planted symlink and a missing parent', () =>
  withEnv(async ({ root, stateDir, ctx }) => {
    await mkdir(join(root, 'other'));
    await symlink(join(root, 'other'), stateDir);
    const c = ctx();
    assert.equal(await run(c, ['--action', 'create-snapshot']), 1);
    assert.match(c.stderr.text, /state directory .* is a symbolic link; refusing/);
    const c2 = makeContext(join(root, 'missing', 'state'));
    assert.equal(await run(c2, ['--action', 'create-snapshot']), 1);
    assert.match(c2.stderr.text, /parent directory does not exist/);
  }));

test('mount arms the state with user and password from ZRM_CONF and never logs the password', () =>
  withEnv(async ({ stateDir, ctx }) => {
    assert.equal(await run(ctx(), ['--action', 'create-snapshot']), 0);
    const c = ctx();
    const before = Math.floor(Date.now() / 1000);
    assert.equal(await run(c, ['--action', 'mount', '--dev', '/dev/null', '--directory', stateDir, '--fstype', 'null']), 0);
    assert.equal(c.stdout.text + c.stderr.text, '');
    const file = join(stateDir, STATE_FILE);
    assert.equal((await lstat(file)).mode & 0o777, 0o600);
    const [epoch, user, password, rest] = (await readFile(file, 'utf8')).split('\n');
    assert.ok(Number(epoch) >= before && Number(epoch) <= before + 2);
    assert.deepEqual([user, password, rest], ['zrm_backup', PASSWORD, '']);
    assert.ok(c.lines.some((l) => l.includes('armed') && l.includes('zrm_backup')));
    assert.ok(!c.lines.some((l) => l.includes(PASSWORD) || l.includes('s3cr')), c.lines.join('\n'));
  }));

test('mount creates the state directory itself when create-snapshot did not', () =>
  withEnv(async ({ stateDir, ctx }) => {
    assert.equal(await run(ctx(), ['--action', 'mount']), 0);
    assert.deepEqual(await readdir(stateDir), [STATE_FILE]);
  }));

test('mount without a user in ZRM_CONF, or without ZRM_CONF, fails and arms nothing', async () => {
  await withEnv(async ({ stateDir, ctx }) => {
    const c = ctx();
    assert.equal(await run(c, ['--action', 'mount']), 1);
    assert.match(c.stderr.text, /has no user: cannot arm/);
    await assert.rejects(lstat(join(stateDir, STATE_FILE)));
  }, 'password=x\n');
  await withEnv(async ({ stateDir }) => {
    const c = makeContext(stateDir);
    assert.equal(await run(c, ['--action', 'mount']), 1);
    assert.match(c.stderr.text, /ZRM_CONF is not set/);
    const c2 = makeContext(stateDir, { ZRM_CONF: join(stateDir, 'gone') });
    assert.equal(await run(c2, ['--action', 'mount']), 1);
    assert.match(c2.stderr.text, /cannot read ZRM_CONF .*gone/);
  });
});

test('umount and remove-snapshot remove the state, keep the directory, and succeed with nothing to remove', () =>
  withEnv(async ({ stateDir, ctx }) => {
    assert.equal(await run(ctx(), ['--action', 'remove-snapshot', '--dev', '/dev/null']), 0, 'no directory at all');
    assert.equal(await run(ctx(), ['--action', 'umount', '--directory', stateDir]), 0, 'no directory at all');
    assert.equal(await run(ctx(), ['--action', 'mount']), 0);
    const c = ctx();
    assert.equal(await run(c, ['--action', 'umount', '--directory', stateDir]), 0);
    assert.deepEqual(await readdir(stateDir), []);
    assert.equal(await run(ctx(), ['--action', 'umount', '--directory', stateDir]), 0);
    assert.equal(await run(ctx(), ['--action', 'mount']), 0);
    assert.equal(await run(ctx(), ['--action', 'remove-snapshot', '--dev', '/dev/null']), 0);
    assert.deepEqual(await readdir(stateDir), []);
    assert.equal(await run(ctx(), ['--action', 'remove-snapshot', '--dev', '/dev/null']), 0);
    assert.equal(c.stdout.text + c.stderr.text, '');
  }));

test('a full ZRM sequence arms the server between mount and umount only', () =>
  withEnv(async ({ root, stateDir, ctx }) => {
    const { logger } = memoryLogger();
    const armed = () => readArmedState(stateDir, 3600, logger);
    await mkdir(join(root, 'data'));
    assert.equal(await run(ctx(), ['--action', 'get-vm-device-details', '--directory', join(root, 'data'), '--sname', 's']), 0);
    assert.equal(await run(ctx(), ['--action', 'create-snapshot', '--directory', stateDir]), 0);
    assert.equal(await armed(), null);
    assert.equal(await run(ctx(), ['--action', 'mount', '--directory', stateDir]), 0);
    assert.equal((await armed())?.user, 'zrm_backup');
    assert.equal((await armed())?.password, PASSWORD);
    assert.equal(await run(ctx(), ['--action', 'umount', '--directory', stateDir]), 0);
    assert.equal(await armed(), null);
    assert.equal(await run(ctx(), ['--action', 'remove-snapshot']), 0);
    assert.equal(await armed(), null);
  }));
