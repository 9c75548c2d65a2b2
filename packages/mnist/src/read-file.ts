// The default import (not named imports) so tests can make one fs step fail with vi.spyOn.
import fs from 'node:fs';
import { fileKind } from '@difftape/nn/node';
import { DataError } from './data-error.js';
import { fsReason } from './fs-error.js';

/** A file-system error as `path: reason (CODE)`, in a DataError. */
export const fileError = (path: string, e: unknown): DataError =>
  new DataError(`${path}: ${fsReason(e)}`, { cause: e });

/** Throws unless `stat` is a regular file of at most `maxBytes`. */
const checkRegular = (path: string, stat: fs.Stats, maxBytes: number, what: string): void => {
  if (!stat.isFile()) throw new DataError(`${path}: ${fileKind(stat)}, expected a ${what}`);
  if (stat.size > maxBytes)
    throw new DataError(
      `${path}: ${stat.size} bytes, more than the ${maxBytes}-byte limit for a ${what}`,
    );
};

const shrank = (path: string, done: number, size: number): DataError =>
  new DataError(
    `${path}: ended after ${done} of its ${size} bytes (was it changed while being read?)`,
  );

const asDataError = (path: string, e: unknown): DataError =>
  e instanceof DataError ? e : fileError(path, e);

// O_NONBLOCK: if the path is swapped for a FIFO between stat and open, opening does not block.
const READ_FLAGS = fs.constants.O_RDONLY | fs.constants.O_NONBLOCK;

/**
 * Reads a regular file (symbolic links followed) of at most `maxBytes`: checked with `stat`
 * before opening, so a FIFO never blocks and `/dev/zero` is never read, and read up to exactly the
 * size `fstat` reports (a file that grows meanwhile is cut there, one that shrinks is an error).
 * `what` says what the file should be, for messages. Errors are `DataError`s naming `path`.
 */
export const readDataFile = (path: string, maxBytes: number, what = 'file'): Buffer => {
  let fd: number;
  try {
    checkRegular(path, fs.statSync(path), maxBytes, what);
    fd = fs.openSync(path, READ_FLAGS);
  } catch (e) {
    throw asDataError(path, e);
  }
  try {
    const stat = fs.fstatSync(fd);
    checkRegular(path, stat, maxBytes, what);
    const out = Buffer.alloc(stat.size);
    for (let done = 0; done < out.length; ) {
      const n = fs.readSync(fd, out, done, out.length - done, done);
      if (n === 0) throw shrank(path, done, out.length);
      done += n;
    }
    return out;
  } catch (e) {
    throw asDataError(path, e);
  } finally {
    fs.closeSync(fd);
  }
};

/** `readDataFile` without blocking the thread, for reading many small files at once. */
export const readDataFileAsync = async (
  path: string,
  maxBytes: number,
  what = 'file',
): Promise<Buffer> => {
  let handle: fs.promises.FileHandle;
  try {
    checkRegular(path, await fs.promises.stat(path), maxBytes, what);
    handle = await fs.promises.open(path, READ_FLAGS);
  } catch (e) {
    throw asDataError(path, e);
  }
  try {
    const stat = await handle.stat();
    checkRegular(path, stat, maxBytes, what);
    const out = Buffer.alloc(stat.size);
    for (let done = 0; done < out.length; ) {
      const { bytesRead } = await handle.read(out, done, out.length - done, done);
      if (bytesRead === 0) throw shrank(path, done, out.length);
      done += bytesRead;
    }
    return out;
  } catch (e) {
    throw asDataError(path, e);
  } finally {
    await handle.close();
  }
};

/** `readDataFile` as UTF-8 text. */
export const readDataText = (path: string, maxBytes: number, what = 'file'): string =>
  readDataFile(path, maxBytes, what).toString('utf8');
