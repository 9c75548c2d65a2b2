import { fc, test } from '@fast-check/vitest';
import { Matrix } from 'ml-matrix';
import { describe, expect, it } from 'vitest';
import { type Gemm, jsGemm, wasmGemm } from '../src/matmul.js';

type Kernel = (a: Matrix, b: Matrix) => Matrix;

/** Naive triple loop on a·b, plus Σ_p |a_ip b_pj|, the scale that bounds the rounding error. */
const reference = (a: Matrix, b: Matrix): { value: number[][]; scale: number[][] } => {
  const value: number[][] = [];
  const scale: number[][] = [];
  for (let i = 0; i < a.rows; i++) {
    value.push([]);
    scale.push([]);
    for (let j = 0; j < b.columns; j++) {
      let s = 0;
      let t = 0;
      for (let p = 0; p < a.columns; p++) {
        s += a.get(i, p) * b.get(p, j);
        t += Math.abs(a.get(i, p) * b.get(p, j));
      }
      value[i]!.push(s);
      scale[i]!.push(t);
    }
  }
  return { value, scale };
};

/** The bit patterns of m's entries, to check that a kernel left its inputs untouched. */
const bits = (m: Matrix): number[] =>
  m.to2DArray().flatMap((row) => Array.from(new Uint32Array(new Float64Array(row).buffer)));

/** Runs `kernel`, checks purity and freshness, and compares with `reference(left, right)`. */
const checkAgainstReference = (
  kernel: Kernel,
  a: Matrix,
  b: Matrix,
  left: Matrix,
  right: Matrix,
) => {
  const before = [bits(a), bits(b)];
  const got = kernel(a, b);
  expect([bits(a), bits(b)]).toEqual(before);
  expect(got).not.toBe(a);
  expect(got).not.toBe(b);
  const { value, scale } = reference(left, right);
  expect([got.rows, got.columns]).toEqual([left.rows, right.columns]);
  for (let i = 0; i < got.rows; i++) {
    for (let j = 0; j < got.columns; j++) {
      const err = Math.abs(got.get(i, j) - value[i]![j]!);
      if (!(err <= 1e-12 * scale[i]![j]!)) {
        throw new Error(`at [${i}, ${j}]: got ${got.get(i, j)}, expected ${value[i]![j]!}`);
      }
    }
  }
};

/** Entries: a third exact zeros (±0), the rest finite doubles of mixed magnitude. */
const entry = fc.oneof(
  { weight: 1, arbitrary: fc.constantFrom(0, -0) },
  { weight: 2, arbitrary: fc.double({ min: -1e3, max: 1e3, noNaN: true }) },
);
const matrix = (rows: number, cols: number, value: fc.Arbitrary<number> = entry) =>
  fc
    .array(value, { minLength: rows * cols, maxLength: rows * cols })
    .map((flat) => Matrix.from1DArray(rows, cols, flat));

/** Dimensions 0..max, so 0-sized, 1×1 and every remainder mod 4 (the unroll factor) occur. */
const dims = (max: number) => fc.tuple(fc.nat(max), fc.nat(max), fc.nat(max));

/** [a, b] with a: m×k, b: k×n (NN), a: k×m (TN) or b: n×k (NT). */
const operands = (kind: 'NN' | 'TN' | 'NT', max: number, value: fc.Arbitrary<number> = entry) =>
  dims(max).chain(([m, k, n]) =>
    fc.tuple(
      kind === 'TN' ? matrix(k, m, value) : matrix(m, k, value),
      kind === 'NT' ? matrix(n, k, value) : matrix(k, n, value),
    ),
  );

/** Every implementation present here: the JS reference and, where wasm SIMD runs, the wasm one. */
const implementations: [string, Gemm][] = [['js', jsGemm]];
if (wasmGemm) implementations.push(['wasm', wasmGemm]);

const kernels = implementations.flatMap(([impl, gemm]) => [
  { impl, kind: 'NN' as const, kernel: gemm.matmulNN, reads: (a: Matrix, b: Matrix) => [a, b] },
  {
    impl,
    kind: 'TN' as const,
    kernel: gemm.matmulTN,
    reads: (a: Matrix, b: Matrix) => [a.transpose(), b],
  },
  {
    impl,
    kind: 'NT' as const,
    kernel: gemm.matmulNT,
    reads: (a: Matrix, b: Matrix) => [a, b.transpose()],
  },
]);

describe.each(kernels)('$impl matmul$kind', ({ kind, kernel, reads }) => {
  test.prop([operands(kind, 9)])('equals the naive triple loop on small shapes', ([a, b]) => {
    const [left, right] = reads(a, b);
    checkAgainstReference(kernel, a, b, left!, right!);
  });

  test.prop([operands(kind, 40)], { numRuns: 20 })(
    'equals the naive triple loop on larger shapes',
    ([a, b]) => {
      const [left, right] = reads(a, b);
      checkAgainstReference(kernel, a, b, left!, right!);
    },
  );

  // Small integers, halves, ±0, ±Inf and NaN: every finite sum is exact and the non-finite ones
  // do not depend on the order, so the result must equal the naive loop bit for bit. This is
  // where skipping zeros would show (0 · Inf must stay NaN).
  test.prop([operands(kind, 6, fc.constantFrom(0, -0, 1, -2, 0.5, 3, Infinity, -Infinity, NaN))])(
    'follows IEEE exactly with ±0, ±Inf and NaN',
    ([a, b]) => {
      const [left, right] = reads(a, b);
      const got = kernel(a, b).to2DArray();
      const { value } = reference(left!, right!);
      got.forEach((row, i) => {
        row.forEach((x, j) => {
          if (!Object.is(x, value[i]![j]!)) {
            throw new Error(`at [${i}, ${j}]: got ${x}, expected ${value[i]![j]!}`);
          }
        });
      });
    },
  );

  it('rejects mismatched inner dimensions, naming the kernel and both shapes', () => {
    // 2x3 against 4x5 mismatches all three: a.columns ≠ b.rows, a.rows ≠ b.rows, 3 ≠ 5 columns.
    expect(() => kernel(new Matrix(2, 3), new Matrix(4, 5))).toThrow(
      new RegExp(`matmul${kind}: a is 2x3, b is 4x5`),
    );
  });
});

describe.each(implementations)('%s zero skipping', (_, { matmulNN }) => {
  it('keeps 0 · Inf = NaN and 0 · NaN = NaN while skipping finite zero terms', () => {
    const a = new Matrix([
      [0, 1],
      [0, 0],
    ]);
    const b = new Matrix([
      [Infinity, 2],
      [3, Number.NaN],
    ]);
    // Row 0: 0·Inf + 1·3 = NaN, 0·2 + 1·NaN = NaN; row 1: 0·Inf + 0·3 = NaN, 0·2 + 0·NaN = NaN.
    expect(matmulNN(a, b).to2DArray().flat().every(Number.isNaN)).toBe(true);
    const c = new Matrix([
      [0, 1],
      [-0, 0],
    ]);
    const d = new Matrix([
      [5, 2],
      [3, -4],
    ]);
    // Finite zeros are skipped; the result is +0, not -0, where every term is ±0.
    const got = matmulNN(c, d).to2DArray();
    expect(got[0]).toEqual([3, -4]);
    expect(Object.is(got[1]![0], 0) && Object.is(got[1]![1], 0)).toBe(true);
  });
});
