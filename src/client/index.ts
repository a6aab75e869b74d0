import { readFile, unlink } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { loadZrmConf, type ZrmConf } from '../config/zrmConf.js';
import { ExitError, errorMessage } from '../errors.js';
import { startTarCreate, tarStatus } from '../tar/tar.js';
import { receiveIntoDir } from '../transfer/receiveIntoDir.js';
import { isLocalHost, parseCopyArgs, type CopyRequest } from './args.js';
import { finishAndWaitClose, openRequest } from './connection.js';
import type { CopyContext } from './context.js';
import { receiveStream, requireLocalDir, type Received } from './forms/copyFrom.js';
import { sendFile } from './forms/copyTo.js';
import { countedLines, exchangeStatus } from './forms/statusRequest.js';
import { runLocalHotcopy } from './forms/localHotcopy.js';
import { legacyCreateLink } from './forms/legacyCreateLink.js';
import { printLines } from './output.js';
import { remoteFor } from './remote.js';
import { onBackupLanded } from '../restore/landed.js';
import { peerMemoryDir, peerMemoryIn } from './peerMemory.js';
import { recordCopy, type CopyFacts } from '../monitor/recorders.js';
import { isLinksDir, runKeyFrom } from '../snapshot/runKey.js';

type Form<F extends CopyRequest['form']> = Extract<CopyRequest, { form: F }>;

const DEFAULT_SNAPSHOT_PLUGIN = '/usr/share/mysql-zrm/plugins/inno-snapshot.pl';

function open(ctx: CopyContext, conf: ZrmConf, host: string, action: string, params: string) {
  const { config, logger } = ctx;
  const memory = peerMemoryIn(peerMemoryDir(config.state.dir, config.state.dirConfigured), logger);
  return openRequest(remoteFor(host, conf, config), action, params, config.client, logger, { security: config, memory });
}

/** A compressed stream (protocol 2.2): what it saved on the wire, in the log. */
function logTransit(ctx: CopyContext, r: Received): void {
  if (r.compression !== undefined && r.wireBytes !== undefined) ctx.logger.info(`received ${r.bytes} bytes as ${r.wireBytes} on the wire (${r.compression})`);
}

async function copy(req: Form<'copy'>, ctx: CopyContext, conf: ZrmConf, facts: CopyFacts = {}): Promise<number> {
  const srcLocal = isLocalHost(req.sourceHost);
  const dstLocal = isLocalHost(req.destinationHost);
  if (!srcLocal && dstLocal) {
    await requireLocalDir(req.destinationDirectory);
    Object.assign(facts, { action: 'copy from', path: req.sourceFile, destinationDir: req.destinationDirectory });
    const conv = await open(ctx, conf, req.sourceHost ?? '', 'copy from', req.sourceFile);
    const r = await receiveStream(conv, req.destinationDirectory, { maxFileSize: ctx.config.client.maxFileSize, stallTimeout: ctx.config.client.stallTimeout, hotBackup: isLinksDir(req.sourceFile) });
    Object.assign(facts, { bytes: r.bytes, sha256: r.sha256, compression: r.compression, wireBytes: r.wireBytes });
    logTransit(ctx, r);
    await onBackupLanded(req.destinationDirectory, r, { host: req.sourceHost ?? '', path: req.sourceFile }, { ...ctx, zrmConf: conf });
    await printLines(ctx.stdout, [`copied ${r.bytes} bytes (${r.format}) from ${req.sourceHost}:${req.sourceFile} to ${req.destinationDirectory}`]);
    return 0;
  }
  if (srcLocal && !dstLocal) {
    Object.assign(facts, { action: 'copy to', path: req.sourceFile });
    const conv = await open(ctx, conf, req.destinationHost ?? '', 'copy to', req.destinationDirectory);
    const r = await sendFile(conv, req.sourceFile, ctx.run);
    facts.bytes = r.bytes;
    await printLines(ctx.stdout, [...r.lines, `sent ${r.bytes} bytes of ${req.sourceFile} to ${req.destinationHost}:${req.destinationDirectory}`]);
    return 0;
  }
  if (!srcLocal && !dstLocal) {
    const src = req.sourceHost ?? '';
    const dst = req.destinationHost === src ? 'localhost' : (req.destinationHost ?? '');
    const params = `--source-file '${req.sourceFile}' --destination-dir ${req.destinationDirectory} --source-host localhost --destination-host ${dst}`;
    Object.assign(facts, { action: 'copy between', path: req.sourceFile });
    const conv = await open(ctx, conf, src, 'copy between', params);
    return exchangeStatus(conv, `${remoteFor(src, conf, ctx.config).port}\n`, ctx, 'copy between');
  }
  await requireLocalDir(req.destinationDirectory);
  const tar = startTarCreate(dirname(req.sourceFile), [basename(req.sourceFile)], { run: ctx.run });
  // GNU tar's archive always ends in its end-of-archive blocks: a stream without them is cut.
  const r = await receiveIntoDir(tar.stdout, 'tar', req.destinationDirectory, {
    requireTarEnd: true,
    beforePublish: async () => {
      const produced = await tarStatus(tar);
      if (!produced.ok) throw new ExitError(produced.message);
    },
  });
  Object.assign(facts, { action: 'copy local', path: req.sourceFile, destinationDir: req.destinationDirectory, bytes: r.bytes });
  await printLines(ctx.stdout, [`copied ${r.bytes} bytes locally to ${req.destinationDirectory}`]);
  return 0;
}

async function createLink(req: Form<'create-link'>, ctx: CopyContext, conf: ZrmConf): Promise<number> {
  const lines = (await readFile(req.sourceFile, 'utf8')).split('\n').filter((l) => l !== '');
  const conv = await open(ctx, conf, req.destinationHost, 'create-link', req.sourceFile);
  try {
    if (conv.protocol === 'legacy') return await legacyCreateLink(conv, lines, ctx);
    return await exchangeStatus(conv, countedLines(lines), ctx, 'create-link');
  } finally {
    await unlink(req.sourceFile).catch(() => undefined);
  }
}

async function snapshotCommand(req: Form<'snapshot-command'>, ctx: CopyContext, conf: ZrmConf): Promise<number> {
  const keysFile = ctx.env.SNAPSHOT_CONF;
  const keys = keysFile ? (await readFile(keysFile, 'utf8')).split('\n').map((k) => k.trim()).filter((k) => k !== '') : [];
  const settings = keys.filter((k) => k !== 'user' && k !== 'password').map((k) => `${k}=${conf.get(k) ?? ''}`);
  settings.push(`user=${conf.get('user') ?? ''}`, `password=${conf.get('password') ?? ''}`);
  if (settings.some((l) => l.includes('\n'))) throw new ExitError('a forwarded setting contains a newline');
  const plugin = conf.get('snapshot-plugin')?.trim() || DEFAULT_SNAPSHOT_PLUGIN;
  try {
    const conv = await open(ctx, conf, req.host, 'snapshot', req.parameters);
    return await exchangeStatus(conv, `${plugin}\n${countedLines(settings)}`, ctx, 'snapshot');
  } finally {
    if (keysFile) await unlink(keysFile).catch(() => undefined);
  }
}

async function removeBackupData(req: Form<'remove-backup-data'>, ctx: CopyContext, conf: ZrmConf): Promise<number> {
  const what = req.backupId ?? req.typeOfDir;
  if (!what) throw new ExitError('remove-backup-data needs --type-of-dir or --backup-id');
  const conv = await open(ctx, conf, req.host, 'remove-backup-data', `${what} ${req.backupDir}`);
  if (conv.protocol === 'legacy') {
    // 1.8b5 gives no reply to this action.
    await finishAndWaitClose(conv.socket);
    return 0;
  }
  return exchangeStatus(conv, '', ctx, 'remove-backup-data');
}

async function mysqlhotcopy(req: Form<'mysqlhotcopy'>, ctx: CopyContext, conf: ZrmConf): Promise<number> {
  const host = req.options.get('host');
  if (isLocalHost(host)) return runLocalHotcopy(req, ctx);
  await requireLocalDir(req.destination);
  const params = [...req.options].filter(([k]) => k !== 'host').map(([k, v]) => ` --${k}="${v}"`).join('') + ` ${req.databases.join(' ')}`;
  const conv = await open(ctx, conf, host ?? '', 'mysqlhotcopy', params);
  const r = await receiveStream(conv, req.destination, { maxFileSize: ctx.config.client.maxFileSize, stallTimeout: ctx.config.client.stallTimeout, hotBackup: true });
  logTransit(ctx, r);
  if (!req.quiet) await printLines(ctx.stdout, [`copied ${r.bytes} bytes (${r.format}) from ${host} to ${req.destination}`]);
  return 0;
}

/** The copy plugin (socket-copy.palomino.pl): returns the exit status for ZRM. */
export async function runCopyPlugin(argv: readonly string[], ctx: CopyContext): Promise<number> {
  const req = parseCopyArgs(argv);
  const conf = ctx.zrmConf ?? (await loadZrmConf(ctx.env));
  const started = Date.now();
  const facts: CopyFacts = {};
  // Copies only: the snapshot and housekeeping calls (about 16 a backup) are not what is watched.
  const record = async (ok: boolean, detail?: string) =>
    (req.form === 'copy' || req.form === 'mysqlhotcopy') &&
    recordCopy(facts, { startedAt: started, config: ctx.config, logger: ctx.logger, form: req.form, zrmSet: runKeyFrom(conf).set, ok, detail });
  try {
    let code: number;
    switch (req.form) {
      case 'copy': code = await copy(req, ctx, conf, facts); break;
      case 'create-link': code = await createLink(req, ctx, conf); break;
      case 'snapshot-command': code = await snapshotCommand(req, ctx, conf); break;
      case 'remove-backup-data': code = await removeBackupData(req, ctx, conf); break;
      case 'mysqlhotcopy': code = await mysqlhotcopy(req, ctx, conf); break;
    }
    ctx.logger.info(`socket-copy ${req.form} ${code === 0 ? 'OK' : 'FAILED'} in ${((Date.now() - started) / 1000).toFixed(1)}s`);
    await record(code === 0);
    return code;
  } catch (err) {
    ctx.logger.error(`socket-copy ${req.form} FAILED: ${errorMessage(err)}`);
    await record(false, errorMessage(err));
    throw err;
  }
}
