import { mkdir, readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { loadSampleData, startMariaDb, tableChecksums } from '../test/helpers/mariadb.js';
import { makeTempDir } from '../test/helpers/tempDir.js';
import type { Xinetd } from '../test/helpers/xinetd.js';
import { zrmFullBackup } from '../test/helpers/zrmRun.js';
import { startZrmSite } from '../test/helpers/zrmSite.js';

// The demo: a throwaway MariaDB, the three plugins behind a real xinetd, and the exact calls
// ZRM makes for a full backup of a "remote" host (127.0.0.1). The backup is then prepared,
// started as a second server and compared table by table with the source.
const TABLES = Number(process.env.DEMO_TABLES ?? 4);
const ROWS = Number(process.env.DEMO_ROWS ?? 25_000);

function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

async function du(dir: string): Promise<number> {
  const r = await execa('du', ['-sb', dir]);
  return Number(r.stdout.split('\t')[0]);
}

async function main(): Promise<number> {
  const tmp = await makeTempDir('zrm-demo-');
  const keep = process.env.DEMO_KEEP === '1';
  say(`demo directory: ${tmp.path}${keep ? ' (kept)' : ''}`);
  const db = await startMariaDb(join(tmp.path, 'db'));
  let xinetd: Xinetd | undefined;
  try {
    say(`MariaDB started on ${db.socket}; loading ${TABLES} tables x ${ROWS} rows ...`);
    await loadSampleData(db, 'sbtest', TABLES, ROWS);
    const site = await startZrmSite(tmp.path, db);
    xinetd = site.xinetd;
    say(`xinetd serves ${site.plugins['socket-server.palomino.pl']} on 127.0.0.1:${xinetd.port}`);
    const dest = join(tmp.path, 'backups', 'demo-set', new Date().toISOString().replace(/\D/g, '').slice(0, 14));
    await mkdir(dest, { recursive: true });

    say('running ZRM\'s full-backup call sequence while a client keeps writing ...');
    let writes = 0;
    let writing = true;
    const writer = (async () => {
      while (writing) {
        await db.sql("INSERT INTO sbtest.t0 (k, pad) VALUES (0, 'written during the backup')");
        writes++;
      }
    })();
    const started = Date.now();
    const { steps } = await zrmFullBackup(site.harness, '127.0.0.1', db.datadir, dest);
    const seconds = (Date.now() - started) / 1000;
    writing = false;
    await writer;
    for (const [name, r] of steps) say(`  ${r.exitCode === 0 ? 'ok  ' : 'FAIL'} ${name}${r.exitCode === 0 ? '' : `: ${r.stderr.trim()}`}`);
    if (steps.some(([, r]) => r.exitCode !== 0)) return 1;

    const size = await du(dest);
    say(`preparing the backup (mariabackup --prepare) ...`);
    await execa('mariabackup', ['--prepare', `--target-dir=${dest}`]);
    const restored = await startMariaDb(join(tmp.path, 'restored'), { datadir: dest, initialise: false });
    let same = 0;
    let tables = 0;
    try {
      const a = await tableChecksums(db, 'sbtest');
      const b = await tableChecksums(restored, 'sbtest');
      tables = b.length;
      // t0 took writes during the backup: compare only the tables nobody wrote to.
      same = b.filter((line, i) => i > 0 && line === a[i]).length;
    } finally {
      await restored.stop();
    }
    const logLine = (await readFile(site.serverLog, 'utf8')).split('\n').find((l) => l.includes("action='copy from'")) ?? '';
    say('');
    say('summary');
    say(`  backup:        ${dest}`);
    say(`  size:          ${(size / 1024 / 1024).toFixed(1)} MiB in ${(await readdir(dest)).length} entries`);
    say(`  ZRM sequence:  ${seconds.toFixed(1)} s, ${steps.length} plugin calls, all exit 0`);
    say(`  hot:           ${writes} INSERTs committed on the source while the backup ran`);
    say(`  restored:      ${tables} tables; ${same} of ${tables - 1} untouched tables identical (CHECKSUM TABLE)`);
    say(`  server log:    ${logLine.replace(/^.*?(peer=)/, '$1')}`);
    say(`  logs:          ${site.serverLog}, ${site.toolLog}`);
    const ok = same === tables - 1 && (await stat(join(dest, 'xtrabackup_checkpoints'))).isFile();
    say(ok ? 'DEMO OK' : 'DEMO FAILED');
    return ok ? 0 : 1;
  } finally {
    await xinetd?.stop();
    await db.stop();
    if (!keep) await tmp.cleanup();
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`demo failed: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exitCode = 1;
  },
);
