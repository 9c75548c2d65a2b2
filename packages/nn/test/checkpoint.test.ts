import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fromFlat, Matrix, type Tree, toFlat } from '@difftape/core';
import { fc, test } from '@fast-check/vitest';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import {
  type Checkpoint,
  checkParamShapes,
  checkpointPaths,
  loadCheckpoint,
  saveCheckpoint,
} from '../src/checkpoint.js';
import { encodeSafetensors, type TensorToWrite } from '../src/safetensors.js';
import { reportModelSpec } from '../src/spec.js';

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

const bitsOf = (m: Matrix): number[] => Array.from(new Uint8Array(toFlat(m).buffer));

const double = fc.oneof(
  fc.double(),
  fc.constantFrom(
    -0,
    Number.MIN_VALUE,
    -2.2250738585072014e-308 / 7,
    Number.MAX_VALUE,
    Number.POSITIVE_INFINITY,
    Number.NEGATIVE_INFINITY,
    Number.NaN,
  ),
);
const matrix = fc
  .tuple(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 3 }))
  .chain(([r, c]) =>
    fc.array(double, { minLength: r * c, maxLength: r * c }).map((v) => fromFlat(r, c, v)),
  );
const key = fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,5}$/);
const { tree } = fc.letrec<{ tree: Tree }>((tie) => ({
  tree: fc.oneof(
    { depthSize: 'small' },
    matrix,
    fc.array(tie('tree'), { maxLength: 3 }),
    fc.dictionary(key, tie('tree'), { maxKeys: 3, noNullPrototype: true }),
  ),
}));

/** Asserts equal structure (arrays vs objects, keys) and matrices equal bit for bit after `f`. */
const expectSameTree = (
  got: unknown,
  want: unknown,
  f: (x: number) => number = (x) => x,
  path = 'root',
) => {
  if (Matrix.isMatrix(want)) {
    expect(Matrix.isMatrix(got), path).toBe(true);
    const w = want as Matrix;
    const g = got as Matrix;
    expect([g.rows, g.columns], path).toEqual([w.rows, w.columns]);
    expect(bitsOf(g), path).toEqual(bitsOf(fromFlat(w.rows, w.columns, toFlat(w).map(f))));
  } else if (Array.isArray(want)) {
    expect(Array.isArray(got), path).toBe(true);
    expect((got as unknown[]).length, path).toBe(want.length);
    want.forEach((w, i) => {
      expectSameTree((got as unknown[])[i], w, f, `${path}.${i}`);
    });
  } else {
    expect(Object.getPrototypeOf(got), path).toBe(Object.prototype);
    expect(Object.keys(got as object).sort(), path).toEqual(Object.keys(want as object).sort());
    for (const k of Object.keys(want as object)) {
      expectSameTree(
        (got as Record<string, unknown>)[k],
        (want as Record<string, unknown>)[k],
        f,
        `${path}.${k}`,
      );
    }
  }
};

const m = (rows: number[][]) => new Matrix(rows);
const sample = (): Checkpoint => ({
  params: {
    layers: [
      {
        W: m([
          [1, 2, 3],
          [4, 5, 6],
        ]),
        b: m([[0.5, -0.5, 0]]),
      },
      { W: m([[7], [8], [9]]), b: m([[1]]) },
    ],
  },
  optimiserState: [
    { count: 3, mu: { W: m([[0.1]]) }, nu: null },
    { lr: -0, name: 'adam', on: true, none: undefined },
  ],
  spec: reportModelSpec,
  meta: { epoch: 3, key: [12345, 67890], hyper: { lr: 0.05, batch: 50 } },
});

describe('saveCheckpoint / loadCheckpoint', () => {
  test.prop([tree, tree], { numRuns: 25 })(
    'F64 round trip is bit-identical, structure included',
    (params, opt) => {
      const path = join(freshDir(), 'model.safetensors');
      saveCheckpoint(path, { params, optimiserState: { opt } });
      const loaded = loadCheckpoint(path);
      expectSameTree(loaded.params, params);
      expectSameTree(loaded.optimiserState, { opt });
      expect(loaded.dtype).toBe('F64');
    },
  );

  test.prop([tree], { numRuns: 15 })('F32 round trip equals Math.fround', (params) => {
    const path = join(freshDir(), 'model.safetensors');
    saveCheckpoint(path, { params }, { dtype: 'F32' });
    const loaded = loadCheckpoint(path);
    expectSameTree(loaded.params, params, Math.fround);
    expect(loaded.dtype).toBe('F32');
  });

  it('round-trips optimiser scalars, spec and meta', () => {
    const dir = freshDir();
    const ckpt = sample();
    saveCheckpoint(join(dir, 'm.safetensors'), ckpt);
    const loaded = loadCheckpoint(join(dir, 'm.json'));
    expectSameTree(loaded.params, ckpt.params);
    const [first, second] = loaded.optimiserState as [
      Record<string, unknown>,
      Record<string, unknown>,
    ];
    expect(first.count).toBe(3);
    expect(first.nu).toBeNull();
    expectSameTree(first.mu, { W: m([[0.1]]) });
    expect(Object.is(second.lr, -0)).toBe(true);
    expect(second).toEqual({ lr: -0, name: 'adam', on: true, none: undefined });
    expect(Object.hasOwn(second, 'none')).toBe(true);
    expect(loaded.spec).toEqual(reportModelSpec);
    expect(loaded.meta).toEqual(ckpt.meta);
    expect(fs.readdirSync(dir).sort()).toEqual(['m.json', 'm.safetensors']);
  });

  it('keeps non-finite optimiser numbers', () => {
    const path = join(freshDir(), 'm.safetensors');
    const state = {
      a: Number.NaN,
      b: Number.POSITIVE_INFINITY,
      c: Number.NEGATIVE_INFINITY,
      d: 1e-310,
    };
    saveCheckpoint(path, { params: [], optimiserState: state });
    expect(loadCheckpoint(path).optimiserState).toEqual(state);
  });

  it('leaves spec undefined and meta {} when not given', () => {
    const path = join(freshDir(), 'm.safetensors');
    saveCheckpoint(path, { params: m([[1]]) });
    const loaded = loadCheckpoint(path);
    expect(loaded.spec).toBeUndefined();
    expect(loaded.meta).toEqual({});
    expect(loaded.optimiserState).toBeUndefined();
    expect((loaded.params as Matrix).to2DArray()).toEqual([[1]]);
  });

  it('names tensors params/<path> and opt/<path> in the safetensors file', () => {
    const path = join(freshDir(), 'm.safetensors');
    saveCheckpoint(path, sample());
    const manifest = JSON.parse(fs.readFileSync(checkpointPaths(path).manifest, 'utf8'));
    expect(manifest.params.object.layers.array[1].object.W).toEqual({
      tensor: 'params/layers.1.W',
      shape: [3, 1],
    });
    expect(manifest.optimiserState.array[0].object.mu.object.W).toEqual({
      tensor: 'opt/0.mu.W',
      shape: [1, 1],
    });
    const bytes = fs.readFileSync(path);
    expect(manifest.tensors.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
    expect(manifest.tensors.bytes).toBe(bytes.length);
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
      'checkpoint: /a/model.bin: expected a path ending in .safetensors (or its .json manifest)',
    );
    expect(() => checkpointPaths('/a/.safetensors')).toThrow(
      'expected a path ending in .safetensors',
    );
  });
});

describe('saveCheckpoint errors', () => {
  const path = () => join(freshDir(), 'm.safetensors');
  it('rejects a params leaf that is not a Matrix', () => {
    expect(() =>
      saveCheckpoint(path(), { params: { layers: [{ W: 3 }] } as unknown as Tree }),
    ).toThrow('checkpoint: params.layers.0.W: expected a Matrix, got a number');
  });
  it('rejects optimiser state it cannot rebuild', () => {
    expect(() =>
      saveCheckpoint(path(), { params: [], optimiserState: { seen: new Set() } }),
    ).toThrow('checkpoint: optimiserState.seen: cannot save a Set');
  });
  it('rejects meta that is not JSON', () => {
    expect(() => saveCheckpoint(path(), { params: [], meta: { loss: [1, Number.NaN] } })).toThrow(
      'checkpoint: meta.loss.1: NaN is not JSON',
    );
    expect(() => saveCheckpoint(path(), { params: [], meta: { at: new Date(0) } })).toThrow(
      'checkpoint: meta.at: a Date is not JSON',
    );
  });
  it('rejects an invalid spec', () => {
    const spec = { layers: [{ dense: 0 }] } as never;
    expect(() => saveCheckpoint(path(), { params: [], spec })).toThrow(
      'checkpoint: spec: layers[0].dense: expected',
    );
  });
  it('rejects keys whose tensor names collide', () => {
    const params = { 'a.b': m([[1]]), a: { b: m([[2]]) } };
    expect(() => saveCheckpoint(path(), { params })).toThrow(
      'checkpoint: params.a.b: two leaves map to tensor name "params/a.b"',
    );
  });
  it('writes nothing when it rejects', () => {
    const dir = freshDir();
    expect(() => saveCheckpoint(join(dir, 'm.safetensors'), { params: [3] as never })).toThrow();
    expect(fs.readdirSync(dir)).toEqual([]);
  });
});

/** Writes a tensors file and a manifest by hand; `edit` may change the manifest after the sum. */
const writeRaw = (
  dir: string,
  tensors: TensorToWrite[],
  manifest: (sha256: string, bytes: number) => unknown,
): string => {
  const bytes = encodeSafetensors(tensors);
  const path = join(dir, 'm.safetensors');
  fs.writeFileSync(path, bytes);
  const sha = createHash('sha256').update(bytes).digest('hex');
  fs.writeFileSync(join(dir, 'm.json'), JSON.stringify(manifest(sha, bytes.length)));
  return path;
};
const f64 = (
  name: string,
  shape: [number, number],
  dtype: 'F64' | 'F32' = 'F64',
): TensorToWrite => ({
  name,
  dtype,
  shape,
  data: new Float64Array(shape[0] * shape[1]),
});
const header = (sha256: string, bytes: number) => ({
  format: 'difftape-checkpoint',
  version: 1,
  tensors: { sha256, bytes, dtype: 'F64' },
  meta: {},
});
const ref = (tensor: string, shape: [number, number]) => ({ tensor, shape });

describe('loadCheckpoint errors', () => {
  const loadError = (path: string): string => {
    try {
      loadCheckpoint(path);
    } catch (e) {
      return (e as Error).message;
    }
    throw new Error('expected loadCheckpoint to throw');
  };

  it('names a missing manifest or tensors file', () => {
    const dir = freshDir();
    expect(loadError(join(dir, 'm.safetensors'))).toBe(`checkpoint: ${dir}/m.json: no such file`);
    saveCheckpoint(join(dir, 'm.safetensors'), sample());
    fs.rmSync(join(dir, 'm.safetensors'));
    expect(loadError(join(dir, 'm.safetensors'))).toBe(
      `checkpoint: ${dir}/m.safetensors: no such file`,
    );
  });

  it('rejects a tensors file from another save (SHA-256)', () => {
    const a = join(freshDir(), 'm.safetensors');
    const b = join(freshDir(), 'm.safetensors');
    saveCheckpoint(a, sample());
    saveCheckpoint(b, { ...sample(), params: { layers: [] } });
    fs.copyFileSync(b, a);
    expect(loadError(a)).toMatch(
      /^checkpoint: .*m\.safetensors: SHA-256 [0-9a-f]{64} \(\d+ bytes\) does not match the manifest's [0-9a-f]{64} \(\d+ bytes\): .*m\.json belongs to another save/,
    );
  });

  it('rejects a tensors file changed in place', () => {
    const path = join(freshDir(), 'm.safetensors');
    saveCheckpoint(path, sample());
    const bytes = fs.readFileSync(path);
    bytes[bytes.length - 1] = bytes[bytes.length - 1]! ^ 1;
    fs.writeFileSync(path, bytes);
    expect(loadError(path)).toMatch(/SHA-256 .* does not match/);
  });

  const manifestCases: [string, (sha: string, bytes: number) => unknown, string][] = [
    [
      'a format it does not know',
      (s, b) => ({ ...header(s, b), format: 'other' }),
      'format is "other", expected "difftape-checkpoint"',
    ],
    [
      'a newer version',
      (s, b) => ({ ...header(s, b), version: 2 }),
      'manifest version 2 is not supported (this reader reads version 1)',
    ],
    [
      'a bad shape in the params tree',
      (s, b) => ({ ...header(s, b), params: { object: { W: ref('params/W', [2] as never) } } }),
      'params.object.W.shape: expected a shape [rows, cols], got [2]',
    ],
    [
      'a bad sum',
      (s, b) => ({
        ...header(s, b),
        tensors: { sha256: 'zz', bytes: b, dtype: 'F64' },
        params: { array: [] },
      }),
      'tensors.sha256: expected a SHA-256 hex digest, got "zz"',
    ],
    [
      'an unknown dtype',
      (s, b) => ({
        ...header(s, b),
        tensors: { sha256: s, bytes: b, dtype: 'F16' },
        params: { array: [] },
      }),
      'tensors.dtype: expected one of "F64", "F32", got "F16"',
    ],
    [
      'an unknown key',
      (s, b) => ({ ...header(s, b), params: { array: [] }, extra: 1 }),
      'unknown key "extra"',
    ],
    [
      'a missing params tree',
      (s, b) => header(s, b),
      'params: missing, expected a tensor node {"tensor", "shape"} or an array node {"array": [...]} or an object node {"object": {...}}',
    ],
    [
      'a bad spec',
      (s, b) => ({ ...header(s, b), params: { array: [] }, spec: { layers: ['gelu'] } }),
      'spec.layers[0]: expected one of "relu"',
    ],
    [
      'a scalar in the params tree',
      (s, b) => ({ ...header(s, b), params: { array: [{ number: 1 }] } }),
      'params.array[0]: unknown key "number"',
    ],
  ];
  it.each(manifestCases)(
    'rejects a manifest with %s, with its path',
    (_name, manifest, message) => {
      const dir = freshDir();
      const path = writeRaw(dir, [], manifest);
      expect(loadError(path)).toContain(`checkpoint: ${dir}/m.json: ${message}`);
    },
  );

  it('rejects a manifest that is not JSON', () => {
    const dir = freshDir();
    const path = join(dir, 'm.safetensors');
    saveCheckpoint(path, sample());
    fs.writeFileSync(join(dir, 'm.json'), '{"format": ');
    expect(loadError(path)).toMatch(new RegExp(`^checkpoint: ${dir}/m.json: not valid JSON: `));
  });

  it('rejects a tensor the manifest names but the file lacks', () => {
    const dir = freshDir();
    const path = writeRaw(dir, [f64('params/W', [2, 2])], (s, b) => ({
      ...header(s, b),
      params: { object: { W: ref('params/W', [2, 2]), b: ref('params/b', [1, 2]) } },
    }));
    expect(loadError(path)).toBe(
      `checkpoint: ${dir}/m.safetensors: tensor "params/b" (params.b) is named in the manifest but missing`,
    );
  });

  it('rejects a tensor the manifest does not name', () => {
    const dir = freshDir();
    const path = writeRaw(dir, [f64('params/W', [2, 2]), f64('opt/stray', [1, 1])], (s, b) => ({
      ...header(s, b),
      params: { object: { W: ref('params/W', [2, 2]) } },
    }));
    expect(loadError(path)).toBe(
      `checkpoint: ${dir}/m.safetensors: tensor "opt/stray" not named in the manifest`,
    );
  });

  it('rejects a shape or dtype that differs from the manifest', () => {
    const dir = freshDir();
    const shape = writeRaw(dir, [f64('params/W', [2, 3])], (s, b) => ({
      ...header(s, b),
      params: { object: { W: ref('params/W', [3, 2]) } },
    }));
    expect(loadError(shape)).toBe(
      `checkpoint: ${dir}/m.safetensors: tensor "params/W" (params.W) has shape [2, 3], the manifest says [3, 2]`,
    );
    const dtype = writeRaw(freshDir(), [f64('params/W', [1, 1], 'F32')], (s, b) => ({
      ...header(s, b),
      params: { object: { W: ref('params/W', [1, 1]) } },
    }));
    expect(loadError(dtype)).toContain(
      'tensor "params/W" (params.W) is F32, the manifest says F64',
    );
  });

  it('rejects a tensor named twice', () => {
    const dir = freshDir();
    const path = writeRaw(dir, [f64('params/W', [1, 1])], (s, b) => ({
      ...header(s, b),
      params: { array: [ref('params/W', [1, 1]), ref('params/W', [1, 1])] },
    }));
    expect(loadError(path)).toContain(
      'tensor "params/W" (params.1) is named twice in the manifest',
    );
  });
});

describe('interrupted saves', () => {
  /** A directory holding a good checkpoint `m`, and the bytes of its two files. */
  const previous = () => {
    const dir = freshDir();
    const path = join(dir, 'm.safetensors');
    saveCheckpoint(path, sample());
    return {
      dir,
      path,
      files: () => [fs.readFileSync(path), fs.readFileSync(join(dir, 'm.json'))],
    };
  };
  const next: Checkpoint = { params: { W: m([[42, 43]]) }, meta: { epoch: 4 } };
  const expectPreviousIntact = (dir: string, path: string, before: Buffer[]) => {
    expect(fs.readdirSync(dir).sort()).toEqual(['m.json', 'm.safetensors']);
    expect([fs.readFileSync(path), fs.readFileSync(join(dir, 'm.json'))]).toEqual(before);
    const loaded = loadCheckpoint(path);
    expectSameTree(loaded.params, sample().params);
    expect(loaded.meta).toEqual(sample().meta);
  };

  it('a failed write (disk full) leaves the previous checkpoint loadable and no temp file', () => {
    const { dir, path, files } = previous();
    const before = files();
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
    expect(() => saveCheckpoint(path, next)).toThrow(
      `checkpoint: saving ${path} failed (the previous checkpoint, if any, is untouched): ENOSPC`,
    );
    vi.restoreAllMocks();
    expectPreviousIntact(dir, path, before);
  });

  it('a failed rename of the tensors file leaves the previous checkpoint loadable', () => {
    const { dir, path, files } = previous();
    const before = files();
    vi.spyOn(fs, 'renameSync').mockImplementationOnce(() => {
      throw new Error('EIO: simulated crash before the rename');
    });
    expect(() => saveCheckpoint(path, next)).toThrow(
      'the previous checkpoint, if any, is untouched',
    );
    vi.restoreAllMocks();
    expectPreviousIntact(dir, path, before);
  });

  it('a failure between the two renames is caught on load, never loaded as a mix', () => {
    const { dir, path } = previous();
    const realRename = fs.renameSync;
    let calls = 0;
    vi.spyOn(fs, 'renameSync').mockImplementation((from, to) => {
      if (++calls === 2) throw new Error('EIO: simulated crash before the manifest rename');
      realRename(from, to);
    });
    expect(() => saveCheckpoint(path, next)).toThrow(
      `${path} was replaced but ${dir}/m.json was not`,
    );
    vi.restoreAllMocks();
    expect(fs.readdirSync(dir).sort()).toEqual(['m.json', 'm.safetensors']);
    expect(() => loadCheckpoint(path)).toThrow(
      /SHA-256 .* does not match .* \(or a save was interrupted\)/,
    );
    saveCheckpoint(path, next);
    expectSameTree(loadCheckpoint(path).params, next.params);
  });

  it('writes only to temp files, then renames tensors first and the manifest last', () => {
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
    expect(opened).toHaveLength(2);
    for (const p of opened)
      expect(p).toMatch(new RegExp(`^${dir}/\\.m\\.(safetensors|json)\\.\\d+\\.\\d+\\.tmp$`));
    expect(renamed).toEqual([
      [opened[0], path],
      [opened[1], join(dir, 'm.json')],
    ]);
    expectSameTree(loadCheckpoint(path).params, next.params);
  });

  it('copes with short writes', () => {
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
    expectSameTree(loadCheckpoint(path).params, sample().params);
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
    'numpy reads the %s tensors file with exactly our values',
    (dtype) => {
      const path = join(freshDir(), 'm.safetensors');
      const W = fromFlat(2, 5, [
        0.1,
        -0,
        5e-324,
        -2.2250738585072014e-308 / 3,
        1 / 3,
        1e300,
        Number.NaN,
        Number.POSITIVE_INFINITY,
        Number.NEGATIVE_INFINITY,
        -123.456,
      ]);
      const params = { layers: [{ W, b: m([[1, 2, 3, 4, 5]]) }] };
      saveCheckpoint(path, { params, optimiserState: { mu: [W] } }, { dtype });
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
      expect(out.metadata).toEqual({ format: 'difftape-checkpoint' });
      const round = dtype === 'F32' ? Math.fround : (x: number) => x;
      for (const [name, matrix] of [
        ['params/layers.0.W', W],
        ['params/layers.0.b', params.layers[0]!.b],
        ['opt/mu.0', W],
      ] as const) {
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

describe('checkParamShapes', () => {
  const params = {
    layers: [
      { W: m([[1, 2]]), b: m([[0, 0]]) },
      { W: new Matrix(2, 9), b: new Matrix(1, 9) },
    ],
  };

  it('accepts matching shapes, given as [rows, cols] or as matrices', () => {
    expect(() =>
      checkParamShapes(
        params,
        {
          layers: [
            { W: [1, 2], b: [1, 2] },
            { W: [2, 9], b: [1, 9] },
          ],
        },
        'ckpt',
      ),
    ).not.toThrow();
    expect(() => checkParamShapes(params, params, 'ckpt')).not.toThrow();
  });

  it('names the first leaf with the wrong shape', () => {
    expect(() =>
      checkParamShapes(
        params,
        {
          layers: [
            { W: [1, 2], b: [1, 2] },
            { W: [2, 10], b: [1, 10] },
          ],
        },
        'm.safetensors',
      ),
    ).toThrow(new Error('m.safetensors: layers.1.W: expected 2x10, got 2x9'));
  });

  it('names structural differences', () => {
    expect(() => checkParamShapes(params, { layers: [{ W: [1, 2], b: [1, 2] }] }, 'x')).toThrow(
      new Error('x: layers: expected an array of 1, got an array of 2'),
    );
    expect(() => checkParamShapes(params, { layers: [{ W: [1, 2] }, { W: [2, 9] }] }, 'x')).toThrow(
      new Error('x: layers.0: unexpected "b"'),
    );
    expect(() => checkParamShapes({ W: m([[1]]) }, { W: [1, 1], b: [1, 1] }, 'x')).toThrow(
      new Error('x: missing "b"'),
    );
    expect(() => checkParamShapes({ W: [] }, { W: [1, 1] }, 'x')).toThrow(
      new Error('x: W: expected a 1x1 matrix, got an array of 0'),
    );
    expect(() => checkParamShapes(m([[1]]), [1, 2], 'x')).toThrow(
      new Error('x: expected 1x2, got 1x1'),
    );
  });
});
