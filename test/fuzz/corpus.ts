// The seeds the fuzz cases mutate: real requests of every action, the 1.8b5 wire vectors, v2
// streams, xbstreams (one cut from what real mariabackup 10.11 produced, see
// test/fixtures/xbstream/), and link trees.
import { readFile, readdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { Writable } from 'node:stream';
import { LegacySender } from '../../src/protocol/legacyFrames.js';
import { V2Sender } from '../../src/protocol/v2Frames.js';
import { parseEncoding } from '../../src/protocol/compression.js';
import { CompressingSender } from '../../src/protocol/compressionFrames.js';
import { LEGACY_VERSION, V2_VERSION } from '../../src/protocol/versions.js';
import { crc32 } from '../../src/xbstream/crc32.js';
import { XbstreamWriter } from '../../src/xbstream/writer.js';

const FIXTURES = fileURLToPath(new URL('../../../test/fixtures/', import.meta.url));

class Sink extends Writable {
  readonly chunks: Buffer[] = [];
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: () => void): void {
    this.chunks.push(Buffer.from(chunk));
    cb();
  }
}

export function requestSeeds(): Buffer[] {
  const head = (v: string, action: string, params: string) => `${v}\n${action}\n${params}\n/tmp\n/usr/bin\n`;
  const out: string[] = [];
  for (const v of [LEGACY_VERSION, V2_VERSION]) {
    out.push(
      head(v, 'copy from', '/var/lib/mysql/mysql-bin.000003'),
      head(v, 'copy from', '/backup/zrm/20261125125649/ZRM_LINKS/.'),
      head(v, 'copy from', '/var/lib/mysql/mysql-bin.0*'),
      head(v, 'copy to', '/var/lib/mysql-restore'),
      head(v, 'remove-backup-data', 'LINKS /backup/zrm/20261125125649'),
      head(v, 'remove-backup-data', '3 /backup/zrm'),
      head(v, 'mysqlhotcopy', ' --user="zrm" --password="pw" shop'),
      head(v, 'create-link', '/tmp/ZSrKbRbivq') + '4\n/b/ZRM_LINKS\n/var/lib/mysql/shop /b/ZRM_LINKS/shop\n/b/ZRM_LINKS\n/tmp/sys /b/ZRM_LINKS/sys\n',
      head(v, 'snapshot', '--directory=/var/lib/mysql//mysql --action=get-vm-device-details --sname=zrmsOk ') +
        '/usr/share/mysql-zrm/plugins/inno-snapshot.pl\n3\nuser=zrm\npassword=s3cr3t\nsocket-remote-port=25300\n',
      head(v, 'copy between', "--source-file '/var/lib/mysql/x' --destination-dir /b --source-host localhost --destination-host db2") + '25300\n',
    );
  }
  out.push('1.8\ncopy from\n/etc/hostname\n/tmp\n/usr/bin\n');
  return out.map((s) => Buffer.from(s));
}

export async function legacyFrameSeeds(): Promise<Buffer[]> {
  const dir = `${FIXTURES}vectors/uuframe/`;
  const names = (await readdir(dir)).filter((n) => n.endsWith('.framed'));
  const seeds = await Promise.all(names.map((n) => readFile(dir + n)));
  const sink = new Sink();
  const sender = new LegacySender(sink);
  await sender.write(Buffer.from('a small tar-like stream\n'.repeat(50)));
  await sender.end();
  return [...seeds.filter((s) => s.length <= 64 * 1024), Buffer.concat(sink.chunks)];
}

export async function v2FrameSeeds(): Promise<Buffer[]> {
  const out: Buffer[] = [];
  for (const [data, ok] of [[Buffer.alloc(0), true], [Buffer.from('hello'), true], [Buffer.alloc(3000, 7), true], [Buffer.from('x'), false]] as const) {
    const sink = new Sink();
    const sender = new V2Sender(sink);
    if (data.length > 0) await sender.write(data);
    await sender.end({ ok, exitCode: ok ? 0 : 2, message: ok ? 'tar completed' : 'tar exited 2' });
    out.push(Buffer.concat(sink.chunks));
  }
  return out;
}

/** Compressed v2 streams (protocol 2.2, gzip:1): empty, text in several blocks, a failed sender. */
export async function compressedFrameSeeds(): Promise<Buffer[]> {
  const out: Buffer[] = [];
  const text = Buffer.from('INSERT INTO t VALUES (1, "abc");\n'.repeat(200));
  const enc = parseEncoding('gzip:1');
  if (!enc) throw new Error('gzip:1 is not an encoding');
  for (const [data, ok] of [[Buffer.alloc(0), true], [text, true], [Buffer.from('x'), false]] as const) {
    const sink = new Sink();
    const sender = new CompressingSender(sink, enc);
    const r = sender.send(Buffer.from(data));
    if (r !== true) await r;
    await sender.end({ ok, exitCode: ok ? 0 : 2, message: ok ? 'tar completed' : 'tar exited 2' });
    out.push(Buffer.concat(sink.chunks));
  }
  return out;
}

export async function xbstreamSeeds(): Promise<Buffer[]> {
  const real = await readFile(`${FIXTURES}xbstream/mariabackup-10.11-small.xbs`);
  const w = new XbstreamWriter();
  const built = Buffer.concat([
    ...w.addFile('ibdata1', Buffer.alloc(3000, 1), { chunkSize: 1024 }),
    ...w.addFile('db/t.ibd', Buffer.from('page'), {}),
    w.sparse('s.ibd', [{ skip: 0, len: 3 }, { skip: 4093, len: 2 }], Buffer.from('abcde')),
    w.sparse('s.ibd', [{ skip: 10, len: 1 }, { skip: 8000, len: 0 }], Buffer.from('Z')),
    w.eof('s.ibd'),
  ]);
  const s = new XbstreamWriter();
  const sparse = Buffer.concat([
    s.sparse('s.ibd', [{ skip: 0, len: 3 }, { skip: 4093, len: 2 }, { skip: 100, len: 1 }], Buffer.from('abcdef')),
    s.sparse('s.ibd', [{ skip: 10, len: 1 }, { skip: 8000, len: 0 }], Buffer.from('Z')),
    s.eof('s.ibd'),
  ]);
  return [real, real.subarray(0, 4000), built, sparse];
}

/**
 * Rewrites the checksum of every chunk of a (mutated) xbstream that still parses as a chunk, so
 * mutations of lengths, offsets and sparse maps get past the CRC to the checks behind it.
 */
export function fixXbstreamChecksums(b: Buffer): Buffer {
  for (let o = 0; o + 14 <= b.length; ) {
    const type = b[o + 9];
    let at = o + 14 + b.readUInt32LE(o + 10);
    if (type === 0x45) {
      o = at;
      continue;
    }
    let mapBytes = 0;
    if (type === 0x53) {
      if (at + 4 > b.length) return b;
      mapBytes = b.readUInt32LE(at) * 8;
      at += 4;
    }
    if (at + 20 > b.length) return b;
    const length = b.readBigUInt64LE(at);
    const body = at + 20;
    const end = BigInt(body + mapBytes) + length;
    if (end > BigInt(b.length)) return b;
    b.writeUInt32LE(crc32(b.subarray(body, Number(end))), at + 16);
    o = Number(end);
  }
  return b;
}
