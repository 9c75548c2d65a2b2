import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runFiles } from '../../src/run/files.js';
import { lockRun } from '../../src/run/lock.js';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lock-'));
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

/** The pid of a process that has exited: its lock is stale. */
const deadPid = (): number => {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
  return Number(r.stdout.toString());
};

describe('lockRun', () => {
  it('writes the pid, refuses a second lock while held, and removes the file on release', () => {
    const lock = lockRun(dir);
    expect(fs.readFileSync(runFiles(dir).lock, 'utf8')).toBe(`${process.pid}\n`);
    // A live process other than us holds it: the parent of this test process stands in.
    fs.writeFileSync(lock.path, `${process.ppid}\n`);
    expect(() => lockRun(dir)).toThrow(
      `${dir} is in use: process ${process.ppid} is training into it`,
    );
    lock.release();
    expect(fs.existsSync(lock.path)).toBe(false);
    lock.release();
  });

  it('takes over a stale lock (its process died) and a torn one', () => {
    fs.writeFileSync(runFiles(dir).lock, `${deadPid()}\n`);
    const a = lockRun(dir);
    expect(fs.readFileSync(a.path, 'utf8')).toBe(`${process.pid}\n`);
    a.release();
    fs.writeFileSync(runFiles(dir).lock, '');
    const b = lockRun(dir);
    b.release();
  });

  it('reports a folder it cannot write with the real cause', () => {
    expect(() => lockRun(path.join(dir, 'missing'))).toThrow(/ENOENT/);
  });
});
