import { test } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, constants, openSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { Writable } from 'node:stream';
import { execa } from 'execa';
import { writeOut } from '../../../src/commands/io.js';
import { withTempDir } from '../../helpers/tempDir.js';
import { memoryIo } from './memoryIo.js';

// writeOut: a plugin's short answer goes to stdout's file descriptor at once (no process.stdout,
// whose first use loads net and the stream modules), and through the stream only for what a
// non-blocking pipe would not take.

const ANSWER = 'device=/dev/null\nsnapshot-mount-point=/tmp/zrm-innosnap\n';

/** stdout on `fd`, whose stream must not be used. */
function fdOnly(fd: number): { stdout: Writable; stdoutFd: number } {
  return {
    get stdout(): Writable {
      throw new Error('the stream was used');
    },
    stdoutFd: fd,
  };
}

async function fifo(dir: string): Promise<string> {
  const path = join(dir, 'fifo');
  await execa('mkfifo', [path]);
  return path;
}

test('with a file descriptor, the text goes to it whole and the stream is never made', async () => {
  await withTempDir('write-out-', async (dir) => {
    const path = join(dir, 'out');
    const fd = openSync(path, 'w');
    try {
      await writeOut(fdOnly(fd), ANSWER);
    } finally {
      closeSync(fd);
    }
    assert.equal(readFileSync(path, 'utf8'), ANSWER);
  });
});

test('without one, the text goes through the stream', async () => {
  const io = memoryIo();
  await writeOut(io, ANSWER);
  assert.equal(io.out(), ANSWER);
});

test('what a full non-blocking pipe does not take (EAGAIN) goes through the stream', async () => {
  await withTempDir('write-out-', async (dir) => {
    const path = await fifo(dir);
    const reader = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
    const writer = openSync(path, constants.O_WRONLY | constants.O_NONBLOCK);
    try {
      // Fill the pipe: the answer (less than PIPE_BUF, so written whole or not at all) finds no room.
      const block = Buffer.alloc(4096, 'x');
      let filled = 0;
      for (;;) {
        try {
          filled += writeSync(writer, block);
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') throw err;
          break;
        }
      }
      assert.ok(filled > 0);
      const io = memoryIo();
      await writeOut({ ...io, stdoutFd: writer }, ANSWER);
      // The pipe was full: nothing of the answer went in, all of it through the stream.
      assert.equal(io.out(), ANSWER);
    } finally {
      closeSync(writer);
      closeSync(reader);
    }
  });
});

test('a pipe whose reader has gone fails the write (EPIPE), it is not reported as written', async () => {
  await withTempDir('write-out-', async (dir) => {
    const path = await fifo(dir);
    const reader = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
    const writer = openSync(path, constants.O_WRONLY | constants.O_NONBLOCK);
    closeSync(reader);
    try {
      await assert.rejects(writeOut(fdOnly(writer), ANSWER), { code: 'EPIPE' });
    } finally {
      closeSync(writer);
    }
  });
});
