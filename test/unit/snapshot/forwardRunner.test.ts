import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fakeRunner, onlyCall } from '../../helpers/fakeRunner.js';
import { withTempDir } from '../../helpers/tempDir.js';
import { makeContext, runPlugin } from './helpers.js';

// The forwarding plugin through an injected runner: what another copy plugin would be started with.

test('--host starts the configured copy plugin with only our environment and the key list', () =>
  withTempDir('zrm-fwdrun-', async (dir) => {
    const zrmConf = join(dir, 'zrm.conf');
    await writeFile(zrmConf, 'user=u\npassword=pw\ncopy-plugin=/opt/other/copy.pl\n', { mode: 0o600 });
    const { run, calls } = fakeRunner({ stdout: 'device=/dev/null\n' });
    const ctx = { ...makeContext(join(dir, 'state'), { ZRM_CONF: zrmConf }), run };
    assert.equal(await runPlugin(ctx, ['--action', 'mount', '--host', 'db1']), 0, ctx.stderr.text);
    const call = onlyCall(calls);
    assert.equal(call.file, '/opt/other/copy.pl');
    assert.deepEqual(call.args.slice(0, 3), ['--snapshot-command', '--host', 'db1']);
    assert.equal(call.options.extendEnv, false, 'the plugin inherits nothing but ctx.env');
    const env = call.options.env as NodeJS.ProcessEnv;
    assert.equal(env.ZRM_CONF, zrmConf);
    assert.equal(env.SNAPSHOT_CONF, `${zrmConf}.rmot`);
    assert.equal(ctx.stdout.text, 'device=/dev/null\n', 'its output is relayed as it is');
  }));

test('a copy plugin that fails fails the forwarded action', () =>
  withTempDir('zrm-fwdrun-', async (dir) => {
    const zrmConf = join(dir, 'zrm.conf');
    await writeFile(zrmConf, 'user=u\npassword=pw\ncopy-plugin=/opt/other/copy.pl\n', { mode: 0o600 });
    const { run } = fakeRunner({ exitCode: 3 });
    const ctx = { ...makeContext(join(dir, 'state'), { ZRM_CONF: zrmConf }), run };
    assert.equal(await runPlugin(ctx, ['--action', 'umount', '--host', 'db1']), 1);
    assert.match(ctx.stderr.text, /umount on db1 failed: copy plugin \/opt\/other\/copy\.pl: exit status 3/);
  }));
