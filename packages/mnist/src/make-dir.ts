// The default import (not named imports) so tests can make one fs step fail with vi.spyOn.
import fs from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fsReason } from './fs-error.js';

/** A folder that cannot be created: the message names it and the real cause. */
export class MakeDirError extends Error {
  override name = 'MakeDirError';
}

/** `dir` and every folder above it, from the root down. */
const ancestry = (dir: string): string[] => {
  const chain = [resolve(dir)];
  while (dirname(chain[0]!) !== chain[0]) chain.unshift(dirname(chain[0]!));
  return chain;
};

/**
 * `mkdir -p` one level at a time, so each failure is reported as what it is (EROFS, EACCES,
 * ENOTDIR, ...) and for the folder it concerns. Node 20's recursive `mkdirSync` loops forever under
 * `/proc` and reports a read-only file system as ENOENT.
 */
export const makeDir = (dir: string): void => {
  for (const path of ancestry(dir)) {
    let stat: fs.Stats | undefined;
    try {
      stat = fs.statSync(path, { throwIfNoEntry: false });
    } catch (e) {
      throw new MakeDirError(`cannot create ${dir}: cannot look at ${path}: ${fsReason(e)}`, {
        cause: e,
      });
    }
    if (stat?.isDirectory()) continue;
    if (stat)
      throw new MakeDirError(`cannot create ${dir}: ${path} exists and is not a folder (ENOTDIR)`);
    try {
      fs.mkdirSync(path);
    } catch (e) {
      // Created meanwhile by someone else: as good as ours.
      if ((e as NodeJS.ErrnoException).code === 'EEXIST' && fs.statSync(path).isDirectory())
        continue;
      // The parent exists, so ENOENT means the file system takes no new folders (e.g. /proc).
      const reason =
        (e as NodeJS.ErrnoException).code === 'ENOENT'
          ? `${dirname(path)} does not take new folders (ENOENT; a virtual file system such as /proc?)`
          : fsReason(e);
      throw new MakeDirError(`cannot create ${dir}: mkdir ${path}: ${reason}`, { cause: e });
    }
  }
};
