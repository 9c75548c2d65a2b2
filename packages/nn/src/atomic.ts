import fs from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** Crash-safe file writes: a fresh temp file beside the target, fsynced, then renamed over it. */

let tempCounter = 0;

/** Writes `data` to a fresh temp file beside `finalPath`, fsynced; returns the temp path. */
export const writeTemp = (finalPath: string, data: Uint8Array): string => {
  for (let attempt = 0; ; attempt++) {
    const temp = join(
      dirname(finalPath),
      `.${basename(finalPath)}.${process.pid}.${tempCounter++}.tmp`,
    );
    let fd: number;
    try {
      fd = fs.openSync(temp, 'wx', 0o644);
    } catch (e) {
      // A stale temp file of an earlier process with the same pid: try the next name.
      if ((e as NodeJS.ErrnoException).code === 'EEXIST' && attempt < 100) continue;
      throw e;
    }
    try {
      let written = 0;
      while (written < data.length)
        written += fs.writeSync(fd, data, written, data.length - written);
      fs.fsyncSync(fd);
    } catch (e) {
      fs.closeSync(fd);
      fs.rmSync(temp, { force: true });
      throw e;
    }
    fs.closeSync(fd);
    return temp;
  }
};

/** Makes the renames durable; not every platform can fsync a directory, which is fine. */
export const fsyncDir = (dir: string): void => {
  try {
    const fd = fs.openSync(dir, 'r');
    try {
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    // Best effort.
  }
};

/** Writes `data` to `path` atomically: readers see the old file or the new one, never a part. */
export const writeFileAtomic = (path: string, data: string | Uint8Array): void => {
  const temp = writeTemp(path, typeof data === 'string' ? Buffer.from(data, 'utf8') : data);
  try {
    fs.renameSync(temp, path);
  } catch (e) {
    fs.rmSync(temp, { force: true });
    throw e;
  }
  fsyncDir(dirname(path));
};

const TEMP_NAME = /^\.(.+)\.(\d+)\.\d+\.tmp$/;

/** Whether a process with this pid runs (EPERM: it does, under another user). */
const isRunning = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/**
 * Removes the temp files that interrupted writes of `finalPath` left beside it: those of this
 * process (its writes are synchronous, so none is in flight) and of processes no longer running.
 */
export const removeStaleTemps = (finalPath: string): void => {
  const dir = dirname(finalPath);
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return; // No folder yet: nothing to clean; the write reports any real problem.
  }
  for (const name of names) {
    const match = TEMP_NAME.exec(name);
    if (match === null || match[1] !== basename(finalPath)) continue;
    const pid = Number(match[2]);
    if (pid === process.pid || !isRunning(pid)) fs.rmSync(join(dir, name), { force: true });
  }
};
