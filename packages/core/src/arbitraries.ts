import fc from 'fast-check';
import { fromFlat, type Matrix } from './matrix.js';
import type { Tree } from './tree.js';

/** Options of `arbMatrix`. */
export interface ArbMatrixOptions {
  /** Exact row count, or [min, max]. Default [1, 4]. */
  readonly rows?: number | readonly [number, number];
  /** Exact column count, or [min, max]. Default [1, 4]. */
  readonly cols?: number | readonly [number, number];
  /** Entries lie in [min, max]. Default [−2, 2]. */
  readonly min?: number;
  readonly max?: number;
  /** Keep entries at least `margin` away from these points (kinks such as relu's 0). */
  readonly awayFrom?: readonly number[];
  /** Default 1e-3. */
  readonly margin?: number;
}

const size = (s: number | readonly [number, number] | undefined): fc.Arbitrary<number> =>
  typeof s === 'number' ? fc.constant(s) : fc.integer({ min: s?.[0] ?? 1, max: s?.[1] ?? 4 });

/** Pushes v out of the margin around each kink, keeping its side. */
const keepAway = (v: number, kinks: readonly number[], margin: number): number => {
  for (const k of kinks) if (Math.abs(v - k) < margin) return v >= k ? k + margin : k - margin;
  return v;
};

/** Entries for one matrix of a known shape. */
export const arbEntries = (
  rows: number,
  cols: number,
  options: ArbMatrixOptions = {},
): fc.Arbitrary<Matrix> => {
  const { min = -2, max = 2, awayFrom = [], margin = 1e-3 } = options;
  return fc
    .array(fc.double({ min, max, noNaN: true, noDefaultInfinity: true }), {
      minLength: rows * cols,
      maxLength: rows * cols,
    })
    .map((vs) =>
      fromFlat(rows, cols, awayFrom.length ? vs.map((v) => keepAway(v, awayFrom, margin)) : vs),
    );
};

/** Float64 matrices of random (or fixed) shape with entries in a range, optionally kept off kinks. */
export const arbMatrix = (options: ArbMatrixOptions = {}): fc.Arbitrary<Matrix> =>
  fc.tuple(size(options.rows), size(options.cols)).chain(([r, c]) => arbEntries(r, c, options));

const isShape = (s: unknown): s is readonly [number, number] =>
  Array.isArray(s) && s.length === 2 && s.every((n) => typeof n === 'number');

/** A tree of matrices with the given shapes (leaves are [rows, cols]). */
export const arbTree = (
  shapes: Tree<readonly [number, number]>,
  options: ArbMatrixOptions = {},
): fc.Arbitrary<Tree<Matrix>> => {
  if (isShape(shapes)) return arbEntries(shapes[0], shapes[1], options);
  if (Array.isArray(shapes)) return fc.tuple(...shapes.map((s) => arbTree(s, options)));
  const entries = Object.entries(shapes);
  return fc
    .tuple(...entries.map(([, s]) => arbTree(s, options)))
    .map((vals) => Object.fromEntries(entries.map(([k], i) => [k, vals[i]!])));
};

/** Two shapes that broadcast together under difftape's rules (equal, row, column, 1 × 1). */
export const arbBroadcastShapes = (
  maxSize = 4,
): fc.Arbitrary<[[number, number], [number, number]]> =>
  fc
    .tuple(
      fc.integer({ min: 1, max: maxSize }),
      fc.integer({ min: 1, max: maxSize }),
      fc.constantFrom('same', 'row', 'col', 'one'),
    )
    .chain(([r, c, kind]) => {
      const other: [number, number] =
        kind === 'same' ? [r, c] : kind === 'row' ? [1, c] : kind === 'col' ? [r, 1] : [1, 1];
      return fc.constantFrom<[[number, number], [number, number]]>(
        [[r, c], other],
        [other, [r, c]],
      );
    });
