import * as fs from 'node:fs';
import { fsReason } from '../fs-error.js';
import { runFiles } from './files.js';

/** A run folder held by this process; `release` removes the lock (safe to call twice). */
export interface RunLock {
  readonly path: string;
  /** Removes the lock file; safe to call twice. */
  release(): void;
}

/** Whether a process with this pid exists (EPERM: it does, owned by someone else). */
const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/** The pid a lock file names, or undefined when it is torn or not ours to read. */
const ownerOf = (path: string): number | undefined => {
  try {
    const pid = Number.parseInt(fs.readFileSync(path, 'utf8'), 10);
    return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
};

/**
 * Takes the run folder's lock: creates `train.lock` exclusively with this pid. A lock whose
 * process is gone (killed) is stale and taken over; a live one refuses with a message naming it.
 */
export const lockRun = (runDir: string): RunLock => {
  const path = runFiles(runDir).lock;
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.writeFileSync(path, `${process.pid}\n`, { flag: 'wx' });
      let held = true;
      const release = () => {
        if (!held) return;
        held = false;
        process.off('exit', release);
        fs.rmSync(path, { force: true });
      };
      process.on('exit', release);
      return { path, release };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST')
        throw new Error(`${runDir}: cannot create the lock file ${path}: ${fsReason(e)}`, {
          cause: e,
        });
      const owner = ownerOf(path);
      if (owner !== undefined && owner !== process.pid && alive(owner))
        throw new Error(
          `${runDir} is in use: process ${owner} is training into it (lock ${path}); ` +
            'wait for it to finish or stop it, then --resume',
        );
      // Stale (its process died) or torn (died while writing it): take it over.
      fs.rmSync(path, { force: true });
    }
  }
  throw new Error(`${path}: cannot take the run folder's lock (another process keeps taking it)`);
};
