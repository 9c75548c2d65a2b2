import fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { MakeDirError, makeDir } from '../src/make-dir.js';

const root = fs.mkdtempSync(join(tmpdir(), 'difftape-mkdir-'));
afterEach(() => {
  vi.restoreAllMocks();
});

/** Makes the next mkdirSync of `path` fail with `code`, as that file system would. */
const refuse = (path: string, code: string) => {
  const real = fs.mkdirSync;
  vi.spyOn(fs, 'mkdirSync').mockImplementation((p, options) => {
    if (p === path) throw Object.assign(new Error(`${code}: mkdir '${path}'`), { code });
    return real(p, options);
  });
};

describe('makeDir', () => {
  it('creates every missing level and accepts folders that exist', () => {
    makeDir(join(root, 'a', 'b', 'c'));
    makeDir(join(root, 'a', 'b', 'c'));
    expect(fs.statSync(join(root, 'a', 'b', 'c')).isDirectory()).toBe(true);
  });

  it.each([
    ['EROFS', 'read-only file system (EROFS)'],
    ['EACCES', 'permission denied (EACCES)'],
    ['ENOSPC', 'no space left on the device (ENOSPC)'],
  ])('reports %s as itself, naming the folder it could not create', (code, reason) => {
    const at = join(root, 'ro', 'x');
    fs.mkdirSync(join(root, 'ro'));
    refuse(at, code);
    expect(() => makeDir(join(at, 'run'))).toThrow(
      new MakeDirError(`cannot create ${join(at, 'run')}: mkdir ${at}: ${reason}`),
    );
    expect(fs.existsSync(at)).toBe(false);
    fs.rmdirSync(join(root, 'ro'));
  });

  it('names a file in the way (ENOTDIR)', () => {
    fs.writeFileSync(join(root, 'file'), 'x');
    expect(() => makeDir(join(root, 'file', 'run'))).toThrow(
      new MakeDirError(
        `cannot create ${join(root, 'file', 'run')}: ${join(root, 'file')} exists and is not a folder (ENOTDIR)`,
      ),
    );
  });

  it('returns at once under /proc, which takes no new folders (recursive mkdirSync loops there)', () => {
    expect(() => makeDir('/proc/difftape-test/run')).toThrow(
      new MakeDirError(
        'cannot create /proc/difftape-test/run: mkdir /proc/difftape-test: /proc does not take new folders (ENOENT; a virtual file system such as /proc?)',
      ),
    );
  });
});
