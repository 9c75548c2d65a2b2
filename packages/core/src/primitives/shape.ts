import { alloc, filled, rowsOf, shapeString } from '../matrix.js';
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
      throw new RangeError(`reshape: cannot reshape ${shapeString(x)} to ${rows}x${cols}`);
    const [m, out] = alloc(rows, cols);
    const xs = rowsOf(x);
    let [i, j] = [0, 0];
    for (const src of xs) {
      for (let s = 0; s < src.length; s++) {
        out[i]![j] = src[s]!;
        if (++j === cols) [i, j] = [i + 1, 0];
      }
    }
    return m;
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
 * Each row of x read as a p × q matrix (row-major) and transposed to q × p: how a batch of
 * channel-last samples (position, channel) becomes channel-major (channel, position).
 */
export const transposeBlocks: Op<[Tensor, number, number]> = defineOp<[Tensor, number, number]>({
  name: 'transposeBlocks',
  forward: (x, p, q) => {
    checkInteger('transposeBlocks', 'p', p, 1);
    checkInteger('transposeBlocks', 'q', q, 1);
    if (p * q !== x.columns)
      throw new RangeError(
        `transposeBlocks: rows of ${shapeString(x)} do not hold ${p}x${q} blocks`,
      );
    const [m, out] = alloc(x.rows, x.columns);
    const xs = rowsOf(x);
    for (let i = 0; i < x.rows; i++) {
      const src = xs[i]!;
      const dst = out[i]!;
      for (let a = 0; a < p; a++) for (let b = 0; b < q; b++) dst[b * p + a] = src[a * q + b]!;
    }
    return m;
  },
  // a permutation: its inverse is the transpose the other way
  vjp: [(g, _out, _x, p, q) => transposeBlocks(g, q, p), null, null],
});
