import { createHash } from 'node:crypto';
import { fromFlat, Matrix, type Tree, toFlat } from '@difftape/core';
import { fc } from '@fast-check/vitest';
import { expect } from 'vitest';
import type { Checkpoint } from '../src/checkpoint.js';
import { encodeSafetensors, type TensorToWrite } from '../src/safetensors.js';
import { reportModelSpec } from '../src/spec.js';

/** Test helpers shared by the checkpoint codec, file and fuzz tests. */

export const bitsOf = (m: Matrix): number[] => Array.from(new Uint8Array(toFlat(m).buffer));

export const double = fc.oneof(
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
export const matrix = fc
  .tuple(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 3 }))
  .chain(([r, c]) =>
    fc.array(double, { minLength: r * c, maxLength: r * c }).map((v) => fromFlat(r, c, v)),
  );
const key = fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,5}$/).filter((k) => k !== 'constructor');
export const { tree } = fc.letrec<{ tree: Tree }>((tie) => ({
  tree: fc.oneof(
    { depthSize: 'small' },
    matrix,
    fc.array(tie('tree'), { maxLength: 3 }),
    fc.dictionary(key, tie('tree'), { maxKeys: 3, noNullPrototype: true }),
  ),
}));

/** Asserts equal structure (arrays vs objects, keys) and matrices equal bit for bit after `f`. */
export const expectSameTree = (
  got: unknown,
  want: unknown,
  f: (x: number) => number = (x) => x,
  path = 'root',
) => {
  if (want instanceof Matrix) {
    expect(got instanceof Matrix, path).toBe(true);
    if (!(got instanceof Matrix)) return;
    const w = want;
    const g = got;
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

export const m = (rows: number[][]) => new Matrix(rows);

/** A small checkpoint with every kind of leaf; its params fit `reportModelSpec`-like specs not. */
export const sample = (): Checkpoint => ({
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
  meta: { epoch: 3, key: [12345, 67890], hyper: { lr: 0.05, batch: 50 } },
});

/** A checkpoint whose params are those of `spec` = dense(3), relu, dense(2) on 2 inputs. */
export const withSpec = (): Checkpoint => ({
  params: [
    {
      W: m([
        [1, 2, 3],
        [4, 5, 6],
      ]),
      b: m([[0, 0, 1]]),
    },
    {},
    {
      W: m([
        [1, 2],
        [3, 4],
        [5, 6],
      ]),
      b: m([[7, 8]]),
    },
  ],
  spec: { layers: [{ dense: 3 }, 'relu', { dense: 2 }] } as never,
  meta: { epoch: 1 },
});

export { reportModelSpec };

export const sha256Hex = (...parts: (Uint8Array | string)[]): string => {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest('hex');
};

export const zeros = (
  name: string,
  shape: [number, number],
  dtype: 'F64' | 'F32' = 'F64',
): TensorToWrite => ({ name, dtype, shape, data: new Float64Array(shape[0] * shape[1]) });

export const ref = (tensor: string, shape: [number, number]) => ({ tensor, shape });

/** A one-file checkpoint's manifest fields with an empty params tree. */
export const manifestBase = () => ({
  format: 'difftape-checkpoint',
  version: 2,
  dtype: 'F64',
  meta: {},
  params: { array: [] } as unknown,
});

/**
 * A one-file checkpoint made by hand: `manifest` (an object or raw text) with tensors, and the
 * correct digest over both unless `digest` is given, so loading gets past the integrity check.
 */
export const craftCheckpoint = (
  tensors: TensorToWrite[],
  manifest: unknown,
  digest?: string,
): Uint8Array => {
  const text = typeof manifest === 'string' ? manifest : JSON.stringify(manifest);
  const plain = encodeSafetensors(tensors);
  const start = 8 + Number(new DataView(plain.buffer).getBigUint64(0, true));
  const sum = digest ?? sha256Hex(text, plain.subarray(start));
  return encodeSafetensors(tensors, { format: 'difftape-checkpoint', sha256: sum, manifest: text });
};
