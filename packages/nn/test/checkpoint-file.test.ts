import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fromFlat, type Matrix, toFlat } from '@difftape/core';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import {
  type Checkpoint,
  CheckpointError,
  decodeCheckpoint,
  encodeCheckpoint,
} from '../src/checkpoint.js';
import { checkpointPaths, loadCheckpoint, saveCheckpoint } from '../src/checkpoint-file.js';
import { SafetensorsError } from '../src/safetensors.js';
import { expectSameTree, m, sample } from './checkpoint-helpers.js';

const root = fs.mkdtempSync(join(tmpdir(), 'difftape-checkpoint-'));
let dirCount = 0;
/** A fresh empty directory for one test. */
const freshDir = (): string => {
  const dir = join(root, `${dirCount++}`);
  fs.mkdirSync(dir);
  return dir;
};
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));
afterEach(() => {
  vi.restoreAllMocks();
});

const loadError = (path: string, options = {}): Error => {
  try {
    loadCheckpoint(path, options);
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected loadCheckpoint to throw');
};

describe('saveCheckpoint / loadCheckpoint', () => {
  it('round-trips through one file', () => {
    const dir = freshDir();
    const path = join(dir, 'm.safetensors');
    saveCheckpoint(path, sample());
    expect(fs.readdirSync(dir)).toEqual(['m.safetensors']);
    const loaded = loadCheckpoint(path);
    expectSameTree(loaded.params, sample().params);
    expect(loaded.meta).toEqual(sample().meta);
    expect(new Uint8Array(fs.readFileSync(path))).toEqual(encodeCheckpoint(sample()));
  });

  it('copes with short writes and short reads', () => {
    const path = join(freshDir(), 'm.safetensors');
    const realWrite = fs.writeSync;
    vi.spyOn(fs, 'writeSync').mockImplementation(((
      fd: number,
      buf: Uint8Array,
      off: number,
      len: number,
    ) => realWrite(fd, buf, off, Math.min(len, 7))) as typeof fs.writeSync);
    saveCheckpoint(path, sample());
    vi.restoreAllMocks();
    const realRead = fs.readSync;
    vi.spyOn(fs, 'readSync').mockImplementation(((
      fd: number,
      buf: Uint8Array,
      off: number,
      len: number,
      pos: number,
    ) => realRead(fd, buf, off, Math.min(len, 5), pos)) as typeof fs.readSync);
    expectSameTree(loadCheckpoint(path).params, sample().params);
  });
});

describe('two-file checkpoints of version 1', () => {
  const fixture = join(import.meta.dirname, 'fixtures', 'v1-two-file');
  /** The values test/fixtures/v1-two-file.* was saved with (by difftape 0.1.0's saveCheckpoint). */
  const seq = (rows: number, cols: number, start: number) =>
    fromFlat(
      rows,
      cols,
      Array.from({ length: rows * cols }, (_, i) => start + i / 8),
    );
  const expectFixture = (loaded: ReturnType<typeof loadCheckpoint>) => {
    expectSameTree(loaded.params, [
      { W: seq(4, 3, -1), b: seq(1, 3, 0.5) },
      {},
      { W: seq(3, 2, 2), b: seq(1, 2, -0.25) },
    ]);
    const [state] = loaded.optimiserState as [Record<string, unknown>];
    expectSameTree(state.mu, [{ W: seq(4, 3, 0) }]);
    expect(Object.is(state.lr, -0)).toBe(true);
    expect(state).toMatchObject({ count: 3, name: 'adam', nu: null });
    expect(loaded.spec).toEqual({ layers: [{ dense: 3 }, 'relu', { dense: 2 }] });
    expect(loaded.meta).toEqual({
      epoch: 1,
      stepInEpoch: 0,
      step: 12,
      note: 'made by difftape 0.1.0 (two-file format)',
    });
  };

  it('load from the .safetensors or the .json path, and from bytes', () => {
    expectFixture(loadCheckpoint(`${fixture}.safetensors`));
    expectFixture(loadCheckpoint(`${fixture}.json`));
    expectFixture(
      decodeCheckpoint(fs.readFileSync(`${fixture}.safetensors`), {
        legacyManifest: fs.readFileSync(`${fixture}.json`),
      }),
    );
  });

  it('are refused when the pair does not match, or the manifest is missing', () => {
    const dir = freshDir();
    fs.copyFileSync(`${fixture}.safetensors`, join(dir, 'm.safetensors'));
    const path = join(dir, 'm.safetensors');
    expect(loadError(path).message).toBe(
      `checkpoint: ${path}: its header holds no manifest, and there is no ${dir}/m.json beside it (an older two-file checkpoint needs both files)`,
    );
    const manifest = JSON.parse(fs.readFileSync(`${fixture}.json`, 'utf8'));
    manifest.tensors.sha256 = 'a'.repeat(64);
    fs.writeFileSync(join(dir, 'm.json'), JSON.stringify(manifest));
    expect(loadError(path).message).toMatch(
      /SHA-256 [0-9a-f]{64} \(680 bytes\) does not match the manifest's a{64} \(680 bytes\): the manifest belongs to another save/,
    );
    fs.writeFileSync(
      join(dir, 'm.json'),
      JSON.stringify(manifest).replace('"meta":{', '"meta":{"__proto__":1,'),
    );
    expect(loadError(path).message).toContain(`checkpoint: ${dir}/m.json: the key "__proto__"`);
  });

  it('are replaced by one file on the next save, the old .json removed', () => {
    const dir = freshDir();
    fs.copyFileSync(`${fixture}.safetensors`, join(dir, 'm.safetensors'));
    fs.copyFileSync(`${fixture}.json`, join(dir, 'm.json'));
    saveCheckpoint(join(dir, 'm.json'), { params: { W: m([[1, 2]]) } });
    expect(fs.readdirSync(dir)).toEqual(['m.safetensors']);
    expectSameTree(loadCheckpoint(join(dir, 'm.safetensors')).params, { W: m([[1, 2]]) });
  });
});

describe('checkpointPaths', () => {
  it('pairs x.safetensors with x.json', () => {
    expect(checkpointPaths('/a/b.c.safetensors')).toEqual({
      tensors: '/a/b.c.safetensors',
      manifest: '/a/b.c.json',
    });
    expect(checkpointPaths('b.json')).toEqual({ tensors: 'b.safetensors', manifest: 'b.json' });
  });
  it('rejects other names', () => {
    expect(() => checkpointPaths('/a/model.bin')).toThrow(
      'checkpoint: /a/model.bin: expected a path ending in .safetensors (or the .json manifest of an older two-file checkpoint)',
    );
    expect(() => checkpointPaths('/a/.safetensors')).toThrow(CheckpointError);
  });
});

describe('loadCheckpoint reads only regular files, only what they declare', () => {
  it('names a missing file', () => {
    const dir = freshDir();
    expect(loadError(join(dir, 'm.safetensors')).message).toBe(
      `checkpoint: ${dir}/m.safetensors: no such file`,
    );
  });

  it('refuses a directory, a FIFO and a symlink to /dev/zero without reading them', () => {
    const dir = freshDir();
    fs.mkdirSync(join(dir, 'd.safetensors'));
    expect(loadError(join(dir, 'd.safetensors')).message).toBe(
      `checkpoint: ${dir}/d.safetensors: a directory, expected a regular file`,
    );
    fs.symlinkSync('/dev/zero', join(dir, 'z.safetensors'));
    expect(loadError(join(dir, 'z.safetensors')).message).toBe(
      `checkpoint: ${dir}/z.safetensors: a character device, expected a regular file`,
    );
    if (spawnSync('mkfifo', [join(dir, 'f.safetensors')]).status === 0) {
      expect(loadError(join(dir, 'f.safetensors')).message).toBe(
        `checkpoint: ${dir}/f.safetensors: a FIFO, expected a regular file`,
      );
    }
  });

  it('refuses a file over the size limit', () => {
    const path = join(freshDir(), 'm.safetensors');
    saveCheckpoint(path, sample());
    const size = fs.statSync(path).size;
    expect(loadError(path, { maxBytes: size - 1 }).message).toBe(
      `checkpoint: ${path}: ${size} bytes, more than the ${size - 1}-byte limit`,
    );
  });

  it('refuses a file with bytes after (or missing from) what its header declares', () => {
    const path = join(freshDir(), 'm.safetensors');
    saveCheckpoint(path, sample());
    fs.appendFileSync(path, 'x');
    const e = loadError(path);
    expect(e).toBeInstanceOf(SafetensorsError);
    expect(e.message).toBe(`safetensors: ${path}: 1 trailing bytes after the last tensor`);
    fs.truncateSync(path, fs.statSync(path).size - 9);
    expect(loadError(path).message).toMatch(/^safetensors: .*: tensor "opt\/0\.mu\.W": /);
  });

  it('refuses a header length beyond the file before allocating it', () => {
    const path = join(freshDir(), 'm.safetensors');
    const bytes = new Uint8Array(16);
    new DataView(bytes.buffer).setBigUint64(0, 90_000_000n, true);
    fs.writeFileSync(path, bytes);
    expect(loadError(path).message).toBe(
      `safetensors: ${path}: header length 90000000 exceeds the 8 bytes after the length field`,
    );
  });
});

describe('interrupted saves', () => {
  /** A directory holding a good checkpoint `m`, and its bytes. */
  const previous = () => {
    const dir = freshDir();
    const path = join(dir, 'm.safetensors');
    saveCheckpoint(path, sample());
    return { dir, path, before: fs.readFileSync(path) };
  };
  const next: Checkpoint = { params: { W: m([[42, 43]]) }, meta: { epoch: 4 } };
  const expectPreviousIntact = (dir: string, path: string, before: Buffer) => {
    expect(fs.readdirSync(dir)).toEqual(['m.safetensors']);
    expect(fs.readFileSync(path)).toEqual(before);
    const loaded = loadCheckpoint(path);
    expectSameTree(loaded.params, sample().params);
    expect(loaded.meta).toEqual(sample().meta);
  };

  it('a failed write (disk full) leaves the previous checkpoint loadable and no temp file', () => {
    const { dir, path, before } = previous();
    const realWrite = fs.writeSync;
    let calls = 0;
    vi.spyOn(fs, 'writeSync').mockImplementation(((
      fd: number,
      buf: Uint8Array,
      off: number,
      len: number,
    ) => {
      if (calls++ === 0) return realWrite(fd, buf, off, Math.min(len, 10));
      throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    }) as typeof fs.writeSync);
    const e = (() => {
      try {
        saveCheckpoint(path, next);
      } catch (error) {
        return error as Error;
      }
    })();
    expect(e).toBeInstanceOf(CheckpointError);
    expect(e?.message).toBe(
      `checkpoint: saving ${path} failed (the previous checkpoint, if any, is untouched): ENOSPC: no space left on device, write`,
    );
    vi.restoreAllMocks();
    expectPreviousIntact(dir, path, before);
  });

  it('a failed fsync or rename leaves the previous checkpoint loadable', () => {
    for (const step of ['fsyncSync', 'renameSync'] as const) {
      const { dir, path, before } = previous();
      vi.spyOn(fs, step).mockImplementationOnce(() => {
        throw new Error(`EIO: simulated crash in ${step}`);
      });
      expect(() => saveCheckpoint(path, next)).toThrow(
        'the previous checkpoint, if any, is untouched',
      );
      vi.restoreAllMocks();
      expectPreviousIntact(dir, path, before);
    }
  });

  it('writes one temp file beside the target and commits it with one rename', () => {
    const { dir, path } = previous();
    const realOpen = fs.openSync;
    const realRename = fs.renameSync;
    const opened: string[] = [];
    const renamed: [string, string][] = [];
    vi.spyOn(fs, 'openSync').mockImplementation(((p: string, flags: string, mode?: number) => {
      if (flags !== 'r') opened.push(p);
      return realOpen(p, flags, mode);
    }) as typeof fs.openSync);
    vi.spyOn(fs, 'renameSync').mockImplementation((from, to) => {
      renamed.push([String(from), String(to)]);
      realRename(from, to);
    });
    saveCheckpoint(path, next);
    vi.restoreAllMocks();
    expect(opened).toHaveLength(1);
    expect(opened[0]).toMatch(
      new RegExp(`^${dir}/\\.m\\.safetensors\\.${process.pid}\\.\\d+\\.tmp$`),
    );
    expect(renamed).toEqual([[opened[0], path]]);
    expectSameTree(loadCheckpoint(path).params, next.params);
  });

  it('removes temp files of interrupted saves on the next save; loading ignores them', () => {
    const { dir, path } = previous();
    const dead = join(dir, '.m.safetensors.999999999.0.tmp');
    const own = join(dir, `.m.safetensors.${process.pid}.7.tmp`);
    const live = join(dir, `.m.safetensors.${process.ppid}.0.tmp`);
    const other = join(dir, '.other.safetensors.999999999.0.tmp');
    for (const p of [dead, own, live, other]) fs.writeFileSync(p, 'half a checkpoint');
    expectSameTree(loadCheckpoint(path).params, sample().params);
    saveCheckpoint(path, next);
    expect(fs.readdirSync(dir).sort()).toEqual(
      [
        `.m.safetensors.${process.ppid}.0.tmp`,
        '.other.safetensors.999999999.0.tmp',
        'm.safetensors',
      ].sort(),
    );
  });
});

describe('numpy interop', () => {
  const hasNumpy = (python: string): boolean =>
    spawnSync(python, ['-c', 'import numpy'], { stdio: 'ignore' }).status === 0;
  const python = ['/usr/bin/python3', 'python3'].find(
    (p) => (!p.startsWith('/') || fs.existsSync(p)) && hasNumpy(p),
  );
  const script = join(import.meta.dirname, 'read_safetensors.py');
  const fromRepr = (s: string): number =>
    s === 'nan'
      ? Number.NaN
      : s === 'inf'
        ? Number.POSITIVE_INFINITY
        : s === '-inf'
          ? Number.NEGATIVE_INFINITY
          : Number(s);

  it.skipIf(python === undefined && !process.env.CI).each(['F64', 'F32'] as const)(
    'numpy reads the %s checkpoint file with exactly our values',
    (dtype) => {
      const path = join(freshDir(), 'm.safetensors');
      const W = fromFlat(2, 5, [
        0.1,
        -0,
        5e-324,
        -2.2250738585072014e-308 / 3,
        1 / 3,
        1e300,
        -1e-300,
        123456789,
        -7,
        -123.456,
      ]);
      const mu = fromFlat(1, 3, [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]);
      const params = { layers: [{ W, b: m([[1, 2, 3, 4, 5]]) }] };
      saveCheckpoint(path, { params, optimiserState: { mu: [mu] } }, { dtype });
      const out = JSON.parse(
        execFileSync(python ?? 'python3', [script, path], { encoding: 'utf8' }),
      ) as {
        metadata: Record<string, string>;
        tensors: Record<string, { dtype: string; shape: number[]; values: string[] }>;
      };
      expect(Object.keys(out.tensors).sort()).toEqual([
        'opt/mu.0',
        'params/layers.0.W',
        'params/layers.0.b',
      ]);
      expect(Object.keys(out.metadata)).toEqual(['format', 'sha256', 'manifest']);
      expect(out.metadata.format).toBe('difftape-checkpoint');
      const round = dtype === 'F32' ? Math.fround : (x: number) => x;
      for (const [name, matrix] of [
        ['params/layers.0.W', W],
        ['params/layers.0.b', params.layers[0]!.b],
        ['opt/mu.0', mu],
      ] as [string, Matrix][]) {
        const t = out.tensors[name]!;
        expect(t.dtype).toBe(dtype);
        expect(t.shape).toEqual([matrix.rows, matrix.columns]);
        const want = Array.from(toFlat(matrix), round);
        const got = t.values.map(fromRepr);
        got.forEach((g, i) => {
          expect(Object.is(g, want[i]), `${name}[${i}]: ${g} vs ${want[i]}`).toBe(true);
        });
      }
    },
  );
});
