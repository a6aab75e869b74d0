import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { MAIN_JS } from '../helpers/plugins.js';
import { makeTempDir } from '../helpers/tempDir.js';

// Hole 3 of issue 7: [server] request_timeout ends a request whatever it is doing, even when the
// server's own event loop is stuck in a CPU-bound loop, and takes its child processes with it.

async function withSite(fn: (dir: string, conf: string, log: string) => Promise<void>, extra = ''): Promise<void> {
  const tmp = await makeTempDir('zrm-deadline-');
  try {
    const conf = join(tmp.path, 'server.conf');
    const log = join(tmp.path, 'socket-server.log');
    await writeFile(
      conf,
      `[backup]\ntmp_dir = ${tmp.path}\n[state]\ndir = ${join(tmp.path, 'state')}\n[server]\nallowed_roots = ${tmp.path}\n` +
        `request_timeout = 2\nheader_timeout = 600\n${extra}\n[log]\nserver_log = ${log}\ntool_log = ${join(tmp.path, 't.log')}\n`,
    );
    await fn(tmp.path, conf, log);
  } finally {
    await tmp.cleanup();
  }
}

async function gone(pid: number): Promise<boolean> {
  for (let i = 0; i < 100 && existsSync(`/proc/${pid}`); i++) await new Promise((r) => setTimeout(r, 100));
  return !existsSync(`/proc/${pid}`);
}

test('a server stuck in a busy loop is killed at request_timeout, silently, with a log line', { timeout: 120_000 }, () =>
  withSite(async (dir, conf, log) => {
    // Stands in for any CPU-bound bug: the main thread never returns to its event loop.
    // It starts once the server has opened its log, i.e. once the watchdog has been started.
    const spin = join(dir, 'spin.mjs');
    await writeFile(
      spin,
      `import { existsSync } from 'node:fs';\nconst t = setInterval(() => { if (existsSync(${JSON.stringify(log)})) { clearInterval(t); for (;;) {} } }, 10);\n`,
    );
    const r = await execa(process.execPath, ['--import', spin, MAIN_JS, 'socket-server'], {
      stdin: 'pipe',
      reject: false,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ZRM_INNOBACKUPEX_CONF: conf },
      extendEnv: false,
      encoding: 'buffer',
      timeout: 60_000,
    });
    assert.equal(r.signal, 'SIGKILL', `ended by ${r.signal ?? r.exitCode}`);
    assert.equal(r.timedOut, false, 'the test had to kill it: request_timeout did not');
    assert.equal(r.stdout.length + r.stderr.length, 0);
    assert.match(await readFile(log, 'utf8'), /request_timeout \(2s\) reached/);
  }));

test('request_timeout kills the child processes of the request too', { timeout: 120_000 }, () =>
  withSite(async (dir, conf, log) => {
    const pidFile = join(dir, 'plugin.pid');
    const plugin = join(dir, 'slow-snapshot.sh');
    await writeFile(plugin, `#!/bin/sh\necho $$ > ${pidFile}\nexec sleep 300\n`, { mode: 0o755 });
    await writeFile(conf, (await readFile(conf, 'utf8')).replace('[log]', `snapshot_plugin = ${plugin}\n[log]`));
    const request = `1.8b5_palomino\nsnapshot\n--action=mount\n${dir}\n/usr/bin\ninno-snapshot.pl\n1\nuser=u\n`;
    const r = await execa(process.execPath, [MAIN_JS, 'socket-server'], {
      input: request,
      reject: false,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ZRM_INNOBACKUPEX_CONF: conf },
      extendEnv: false,
      encoding: 'buffer',
      timeout: 60_000,
    });
    assert.equal(r.timedOut, false, 'the test had to kill it: request_timeout did not');
    assert.equal(r.signal, 'SIGKILL');
    const pid = Number(await readFile(pidFile, 'utf8'));
    assert.ok(pid > 0);
    assert.equal(await gone(pid), true, `the plugin (pid ${pid}) outlived the request`);
    assert.match(await readFile(log, 'utf8'), /request_timeout \(2s\) reached/);
  }));

test('a request that finishes in time is not touched by the watchdog, and a failed one exits 1 on a socket too', { timeout: 60_000 }, () =>
  withSite(async (dir, conf, log) => {
    // execa's stdin is a socket, as under xinetd: the reply goes back on it, not on stdout.
    const r = await execa(process.execPath, [MAIN_JS, 'socket-server'], {
      input: `2.0_zrm-innobackupex\nno such action\n\n${dir}\n/usr/bin\n`,
      reject: false,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ZRM_INNOBACKUPEX_CONF: conf },
      extendEnv: false,
      encoding: 'buffer',
    });
    assert.equal(r.exitCode, 1, `${r.signal} ${r.stderr.toString()} ${await readFile(log, 'utf8')}`);
    assert.equal(r.signal, undefined);
    assert.match(await readFile(log, 'utf8'), /outcome=FAILED unknown action/);
    assert.doesNotMatch(await readFile(log, 'utf8'), /request_timeout/);
  }));

test('fault: socket server stopped by SIGTERM mid-request | both | its backup tool is stopped with it; the log says so', { timeout: 60_000 }, () =>
  withSite(async (dir, conf, log) => {
    const pidFile = join(dir, 'tool.pid');
    const tool = join(dir, 'hung-tool.sh');
    await writeFile(tool, `#!/bin/bash\nfor a; do [ "$a" = --version ] && { echo "innobackupex version 2.4.29 Linux (x86_64)" >&2; exit 0; }; done\necho $$ > ${pidFile}\nexec sleep 300\n`, { mode: 0o755 });
    await writeFile(conf, (await readFile(conf, 'utf8')).replace('request_timeout = 2', 'request_timeout = 600').replace('[backup]', `[backup]\ntool = innobackupex\ntool_path = ${tool}`));
    await execa(process.execPath, [MAIN_JS, 'snapshot', '--action=mount'], {
      input: '',
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ZRM_INNOBACKUPEX_CONF: conf, ZRM_CONF: await zrmConf(dir) },
      extendEnv: false,
      reject: false,
    });
    const server = execa(process.execPath, [MAIN_JS, 'socket-server'], {
      stdin: 'pipe',
      reject: false,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ZRM_INNOBACKUPEX_CONF: conf },
      extendEnv: false,
      encoding: 'buffer',
      timeout: 50_000,
    });
    server.stdin?.write(`2.0_zrm-innobackupex\ncopy from\n${dir}/ZRM_LINKS/.\n${dir}\n/usr/bin\n`);
    for (let i = 0; i < 100 && !existsSync(pidFile); i++) await new Promise((r) => setTimeout(r, 100));
    const pid = Number(await readFile(pidFile, 'utf8'));
    server.kill('SIGTERM');
    const r = await server;
    assert.equal(r.timedOut, false);
    assert.equal(r.exitCode, 143, `ended by ${r.signal ?? r.exitCode}`);
    assert.equal(await gone(pid), true, `the backup tool (pid ${pid}) outlived the server`);
    assert.match(await readFile(log, 'utf8'), /stopped by SIGTERM/);
  }));

/** The per-run settings ZRM hands the snapshot plugin: a database user to arm with. */
async function zrmConf(dir: string): Promise<string> {
  const file = join(dir, 'zrm.conf');
  await writeFile(file, 'user=backup\npassword=a-long-password\n');
  return file;
}
