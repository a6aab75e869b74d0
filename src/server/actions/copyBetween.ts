import { Writable } from 'node:stream';
import { runCopyPlugin } from '../../client/index.js';
import { errorMessage } from '../../errors.js';
import type { Outcome, Session } from '../context.js';
import { sendStatus } from '../reply.js';
import { readLine } from './extraLines.js';
import { checkCopyBetween } from '../copyBetweenPolicy.js';

/** Splits the copy-plugin options the client sent, honouring its single quotes (no shell). */
function splitQuoted(params: string): string[] {
  const out: string[] = [];
  const re = /'([^']*)'|"([^"]*)"|(\S+)/g;
  for (let m = re.exec(params); m; m = re.exec(params)) out.push(m[1] ?? m[2] ?? m[3] ?? '');
  return out;
}

class Collector extends Writable {
  text = '';
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: () => void): void {
    this.text += chunk.toString();
    cb();
  }
}

const lines = (t: string): string[] => t.split('\n').filter((l) => l !== '');

/** `copy between`: this host pushes a file to a third host with the copy plugin's own logic. */
export async function copyBetween(s: Session): Promise<Outcome> {
  const port = (await readLine(s.reader, 'copy between port')).trim();
  s.requestRead();
  const argv = splitQuoted(s.header.params);
  const stdout = new Collector();
  const stderr = new Collector();
  let code: number;
  try {
    if (!/^\d+$/.test(port)) throw new Error(`bad port '${port}'`);
    await checkCopyBetween(argv, s.deps.config.server.allowedRoots, s.deps.config.server.copyBetweenHosts);
    code = await runCopyPlugin(argv, {
      env: s.deps.env,
      config: s.deps.config,
      logger: s.deps.logger,
      stdout,
      stderr,
      zrmConf: new Map([['socket-remote-port', port]]),
    });
  } catch (err) {
    code = 1;
    stderr.text += `${errorMessage(err)}\n`;
    s.deps.logger.error(errorMessage(err));
  }
  const ok = code === 0;
  await sendStatus(s, ok, ok ? lines(stdout.text) : lines(stderr.text));
  return { ok, detail: ok ? 'copied' : lines(stderr.text).join(' / ') };
}
