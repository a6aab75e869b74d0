// Every 64 KiB read of a pipe or socket is a new ArrayBuffer whose memory lives outside V8's
// heap, and is freed only when a GC finds its Buffer dead. A process that moves a stream
// allocates almost nothing else on the heap, so GCs came rarely and up to ~64 MiB of dead pieces
// piled up before one (V8's external-memory trigger, which starts a full mark as well): that was
// most of a server's or client's peak RSS. A young-generation GC every few MiB of stream frees
// them while they are still young; it costs well under a millisecond.
// Not more often: at every 1 MiB, pieces still in flight (a reader's 1 MiB read-ahead, a socket's
// write queue) live through two young GCs, are promoted, and then wait for a full GC like before:
// a socket-server peaked at 114-138 MiB instead of ~78 (bench group rss, 1 GiB, v2). At 2 MiB the
// client gained 2-4 MiB and the server lost as much; 8 MiB was 1-4 MiB worse on both.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

const EVERY_BYTES = 4 * 1024 * 1024;

type Gc = (opts: { type: 'minor' }) => void;
let gc: Gc | null | undefined;
let since = 0;

function minorGc(): Gc | null {
  if (gc === undefined) {
    try {
      // The usual way to reach gc() without a node flag: a context made after the flag is set has it.
      setFlagsFromString('--expose-gc');
      const fn = runInNewContext('gc') as unknown;
      gc = typeof fn === 'function' ? (fn as Gc) : null;
    } catch {
      gc = null; // no gc(): only the RSS is higher
    }
  }
  return gc;
}

/** Counts bytes a stream moved; every EVERY_BYTES, frees the dead pieces with a young-generation GC. */
export function releaseDeadBuffers(bytes: number): void {
  since += bytes;
  if (since < EVERY_BYTES) return;
  since = 0;
  minorGc()?.({ type: 'minor' });
}
