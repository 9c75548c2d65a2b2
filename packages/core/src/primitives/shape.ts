import { alloc, filled, rowsOf, shapeString, toFlat, wrapFlat } from '../matrix.js';
import { defineOp, type Op } from '../op.js';
import type { Tensor } from '../tape.js';

/** Throws unless v is an integer ≥ min: the static sizes that shape ops take as number inputs. */
export const checkInteger = (op: string, name: string, v: number, min: number): void => {
  if (!Number.isInteger(v) || v < min)
    throw new RangeError(`${op}: ${name} must be an integer ≥ ${min}, got ${v}`);
};

/** x with its entries, read in row-major order, laid out as rows × cols. */
export const reshape: Op<[Tensor, number, number]> = defineOp<[Tensor, number, number]>({
  name: 'reshape',
  forward: (x, rows, cols) => {
    checkInteger('reshape', 'rows', rows, 1);
    checkInteger('reshape', 'cols', cols, 1);
    if (rows * cols !== x.rows * x.columns)
      throw new RangeError(
        `reshape: cannot reshape ${shapeString(x)} to ${shapeString([rows, cols])}`,
      );
    // row-major order is the flat storage's order: a copy of it, read with the new shape
    return wrapFlat(rows, cols, toFlat(x));
  },
  // a permutation of the entries: the cotangent is permuted back
  vjp: [(g, _out, x) => reshape(g, x.rows, x.columns), null, null],
});

/** Columns [start, end) of x. */
export const sliceCols: Op<[Tensor, number, number]> = defineOp<[Tensor, number, number]>({
  name: 'sliceCols',
  forward: (x, start, end) => {
    checkInteger('sliceCols', 'start', start, 0);
    checkInteger('sliceCols', 'end', end, start + 1);
    if (end > x.columns)
      throw new RangeError(
        `sliceCols: columns [${start}, ${end}) are out of range for ${shapeString(x)}`,
      );
    const [m, out] = alloc(x.rows, end - start);
    const xs = rowsOf(x);
    for (let i = 0; i < x.rows; i++) out[i]!.set(xs[i]!.subarray(start, end));
    return m;
  },
  // the cotangent goes back to its columns, zeros elsewhere
  vjp: [
    (g, _out, x, start, end) => {
      const left = start > 0 ? concatCols(filled(x.rows, start, 0), g) : g;
      return end < x.columns ? concatCols(left, filled(x.rows, x.columns - end, 0)) : left;
    },
    null,
    null,
  ],
});

/** `[a b]`: the columns of a, then those of b (equal row counts). */
export const concatCols: Op<[Tensor, Tensor]> = defineOp<[Tensor, Tensor]>({
  name: 'concatCols',
  forward: (a, b) => {
    if (a.rows !== b.rows)
      throw new RangeError(
        `concatCols: cannot concatenate ${shapeString(a)} with ${shapeString(b)} (row counts differ)`,
      );
    const [m, out] = alloc(a.rows, a.columns + b.columns);
    const as = rowsOf(a);
    const bs = rowsOf(b);
    for (let i = 0; i < a.rows; i++) {
      out[i]!.set(as[i]!);
      out[i]!.set(bs[i]!, a.columns);
    }
    return m;
  },
  // each input takes back its own columns of the cotangent
  vjp: [
    (g, _out, a) => sliceCols(g, 0, a.columns),
    (g, _out, a) => sliceCols(g, a.columns, g.columns),
  ],
});

/**
 * x (r × (groups·w)) read as r × groups chunks of w columns, the grid of chunks transposed:
 * groups × (r·w), row j holding chunk j of every row of x in order. It turns a convolution's
 * channel-by-position output F × (N·P) into one sample a row, N × (F·P), copying whole chunks.
 */
export const transposeChunks: Op<[Tensor, number]> = defineOp<[Tensor, number]>({
  name: 'transposeChunks',
  forward: (x, groups) => {
    checkInteger('transposeChunks', 'groups', groups, 1);
    if (x.columns % groups !== 0)
      throw new RangeError(
        `transposeChunks: the ${x.columns} columns of ${shapeString(x)} do not split into ${groups} chunks`,
      );
    const w = x.columns / groups;
    const [m, out] = alloc(groups, x.rows * w);
    const xs = rowsOf(x);
    for (let i = 0; i < x.rows; i++) {
      const src = xs[i]!;
      for (let j = 0; j < groups; j++) out[j]!.set(src.subarray(j * w, (j + 1) * w), i * w);
    }
    return m;
  },
  // a permutation of the entries: the chunks go back where they came from
  vjp: [(g, _out, x) => transposeChunks(g, x.rows), null],
});
