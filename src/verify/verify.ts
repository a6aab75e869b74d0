import { mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { AppConfig } from '../config/appConfig.js';
import { ExitError, errorMessage } from '../errors.js';
import { treeSize } from '../fsutil/treeSize.js';
import { readBackupInfo, readBinlogPosition, readCheckpoints, type BinlogPosition } from '../restore/backupFiles.js';
import { extractArchive, locateBackup } from '../restore/locate.js';
import { prepareBackup, recordedTool } from '../restore/prepare.js';
import { localToolFor } from '../restore/tool.js';
import { findBinlogChain, replayBinlogs } from './binlogs.js';
import { checkRedoLogLength } from './redoLog.js';
import { checkDataFiles, checkPageChecksums, checkTables, serverLsn } from './checks.js';
import { VerifyFailure } from './failure.js';
import { copyToScratch, isNoSpace, noSpace, requireSpace, spaceNeeded } from './scratch.js';
import { startThrowawayServer, type ThrowawayServer } from './throwawayServer.js';

export interface VerifyReport {
  ok: boolean;
  path: string;
  backup?: string | undefined;
  tool?: string | undefined;
  toolVersion?: string | undefined;
  serverVersion?: string | undefined;
  preparedBy?: 'verify' | 'already prepared' | undefined;
  bytes?: number | undefined;
  tables?: number | undefined;
  rows?: number | undefined;
  pageChecksums?: string | undefined;
  lsn?: { backup: number; server: number } | undefined;
  pointInTime?: (BinlogPosition & { endTime?: string | undefined; reached?: string | undefined }) | undefined;
  binlogReplay: string;
  seconds: number;
  failure?: { step: string; message: string; meaning: string } | undefined;
}

export interface VerifyOptions {
  /** Where the scratch copy goes (default: [backup] tmp_dir). */
  scratchRoot: string;
  say?: (line: string) => void;
}

const NO_REPLAY = 'not reached';

function asFailure(step: string, err: unknown, meaning: string): VerifyFailure {
  if (err instanceof VerifyFailure) return err;
  if (isNoSpace(err)) return noSpace(errorMessage(err));
  return new VerifyFailure(step, errorMessage(err), meaning, err instanceof ExitError ? err.exitCode : undefined);
}

/** Restores DIR's backup on a scratch copy into a throwaway server and checks every table. */
export async function verifyBackup(path: string, config: AppConfig, opts: VerifyOptions): Promise<VerifyReport> {
  const started = Date.now();
  const say = opts.say ?? (() => undefined);
  const report: VerifyReport = { ok: false, path, binlogReplay: NO_REPLAY, seconds: 0 };
  let scratch: string | undefined;
  let server: ThrowawayServer | undefined;
  let step = 'locate';
  try {
    const located = await locateBackup(path);
    report.backup = located.kind === 'dir' ? located.dir : located.file;
    step = 'scratch';
    const source = located.kind === 'dir' ? located.dir : located.file;
    report.bytes = await treeSize(source);
    await stat(opts.scratchRoot).catch(() => {
      throw new VerifyFailure('scratch', `scratch directory ${opts.scratchRoot} does not exist`, 'give an existing directory with --scratch', 2);
    });
    await requireSpace(opts.scratchRoot, spaceNeeded(report.bytes));
    scratch = await mkdtemp(join(opts.scratchRoot, 'zrm-verify-'));
    let datadir = join(scratch, 'data');
    say(`copying ${report.backup} to ${scratch}`);
    if (located.kind === 'dir') await copyToScratch(located.dir, datadir);
    else {
      // Unpacked below data/, so that the server's socket, tmpdir and log stay out of its datadir.
      await mkdir(datadir, { mode: 0o700 });
      datadir = await extractArchive(located.file, datadir).catch((err: unknown) => {
        throw isNoSpace(err) || /no space/i.test(errorMessage(err)) ? noSpace(errorMessage(err)) : err;
      });
    }

    step = 'tool';
    const info = await readBackupInfo(datadir);
    const recorded = await recordedTool(datadir, config);
    Object.assign(report, { tool: recorded.name, toolVersion: recorded.version, serverVersion: info.serverVersion });
    await localToolFor(recorded.name, recorded.version, config).catch((err: unknown) => {
      throw new VerifyFailure('tool', errorMessage(err), 'this host cannot prepare the backup: install the tool named above (doctor says what is missing)', 5);
    });
    step = 'redo-log';
    const unprepared = await readCheckpoints(datadir);
    if (unprepared) await checkRedoLogLength(datadir, unprepared, recorded.name, recorded.version);
    step = 'prepare';
    say(`preparing the scratch copy with ${recorded.name}`);
    const prepared = await prepareBackup(datadir, config).catch((err: unknown) => {
      throw asFailure('prepare', err, 'the tool could not apply the backup\'s redo log to its data files: the redo log (ib_logfile0) or a data file is damaged or incomplete, and this backup would not restore');
    });
    report.preparedBy = prepared.ran ? 'verify' : 'already prepared';
    const checkpoints = await readCheckpoints(datadir);
    const binlog = await readBinlogPosition(datadir);
    report.pointInTime = binlog ? { ...binlog, endTime: info.endTime } : undefined;

    // After the prepare: tables created during the backup arrive as .new and are renamed by it.
    step = 'files';
    await checkDataFiles(datadir);
    step = 'page-checksums';
    say('checking page checksums');
    const suspects = await checkPageChecksums(datadir);
    report.pageChecksums = suspects === undefined ? 'skipped (innochecksum not installed)' : suspects.size === 0 ? 'all .ibd pages OK' : `${suspects.size} .ibd file(s) with bad pages, left to CHECK TABLE`;

    step = 'binlogs';
    const onDisk = located.kind === 'dir' ? located.dir : dirname(located.file);
    const chain = binlog ? await findBinlogChain(onDisk, binlog) : undefined;
    if (!binlog) report.binlogReplay = 'not possible: the backup records no binlog position';
    else if (!chain) report.binlogReplay = `none: no binary logs of later incrementals beside ${onDisk}`;

    step = 'start';
    say('starting a throwaway server on the copy');
    server = await startThrowawayServer(scratch, datadir);
    step = 'lsn';
    const lsnOf = unprepared ?? checkpoints;
    const backupLsn = Math.max(lsnOf?.lastLsn ?? 0, lsnOf?.toLsn ?? 0);
    const lsn = await serverLsn(server);
    if (lsn === undefined) throw new VerifyFailure('lsn', 'the server did not report its log sequence number', 'InnoDB did not start normally on the backup');
    report.lsn = { backup: backupLsn, server: lsn };
    if (lsn < backupLsn) {
      throw new VerifyFailure('lsn', `the server is at LSN ${lsn}, behind the backup's ${backupLsn}`, 'the redo log copied with the backup was not fully applied: changes made during the backup are missing');
    }
    if (chain && binlog) {
      step = 'binlogs';
      say(`replaying ${chain.files.length} binary log(s) from ${binlog.file}:${binlog.position}`);
      const reached = await replayBinlogs(chain, binlog, server.socket);
      report.binlogReplay = `replayed ${chain.files.length} binary log(s) from ${binlog.file}:${binlog.position}${reached ? `, up to ${reached}` : ''}`;
      if (report.pointInTime) report.pointInTime.reached = reached;
    }
    step = 'check-tables';
    say('checking every table (CHECK TABLE ... EXTENDED) and counting rows');
    const counts = await checkTables(server, suspects);
    report.tables = counts.length;
    report.rows = counts.reduce((n, c) => n + c.rows, 0);

    report.ok = true;
  } catch (err) {
    const f = asFailure(step, err, 'the backup could not be checked');
    report.failure = { step: f.step, message: f.message, meaning: f.meaning };
    (report as { exitCode?: number }).exitCode = f.exitCode;
  } finally {
    await server?.stop().catch(() => undefined);
    if (scratch) await rm(scratch, { recursive: true, force: true }).catch(() => undefined);
    report.seconds = (Date.now() - started) / 1000;
  }
  return report;
}
