import { alloc, type Matrix, rowsOf, shapeString } from './matrix.js';

/**
 * Raw float64 kernels over ml-matrix row storage. Each returns a fresh matrix and never writes to
 * its inputs. They know nothing of tapes; the differentiable ops in `primitives/` call them.
 */

/** A matrix operand or a number broadcast to every entry. */
export type Operand = Matrix | number;

const shapeOf = (x: Operand): [number, number] =>
  typeof x === 'number' ? [1, 1] : [x.rows, x.columns];
const describe = (x: Operand): string => (typeof x === 'number' ? 'a number' : shapeString(x));

/** The shape two operands broadcast to (each dimension equal, or 1 on one side); throws naming `op`. */
export const broadcastShape = (op: string, a: Operand, b: Operand): [number, number] => {
  const [ar, ac] = shapeOf(a);
  const [br, bc] = shapeOf(b);
  const rows = ar === br || br === 1 ? ar : ar === 1 ? br : -1;
  const cols = ac === bc || bc === 1 ? ac : ac === 1 ? bc : -1;
  if (rows < 0 || cols < 0)
    throw new RangeError(`${op}: cannot broadcast ${describe(a)} with ${describe(b)}`);
  return [rows, cols];
};

/** f applied to every entry of x. */
export const map = (x: Matrix, f: (v: number) => number): Matrix => {
  const [m, out] = alloc(x.rows, x.columns);
  const xs = rowsOf(x);
  for (let i = 0; i < x.rows; i++) {
    const src = xs[i]!;
    const dst = out[i]!;
    for (let j = 0; j < src.length; j++) dst[j] = f(src[j]!);
  }
  return m;
};

/**
 * One output row of a binary op: dst[j] = a[j·as] ∘ b[j·bs], where a step of 0 repeats a column
 * vector's (or a number's) single entry. Written out per op so the inner loop has no call in it.
 */
export type RowKernel = (
  dst: Float64Array,
  a: Float64Array,
  as: number,
  b: Float64Array,
  bs: number,
) => void;

/**
 * A row kernel from its three loops: same shapes, a number (or 1 × 1, or column entry) on the right,
 * and the general strided case. Separate loops keep the hot ones free of index arithmetic.
 */
const rowKernel =
  (same: RowKernel, scalarRight: RowKernel, strided: RowKernel): RowKernel =>
  (dst, a, as, b, bs) =>
    as === 1
      ? bs === 1
        ? same(dst, a, 1, b, 1)
        : scalarRight(dst, a, 1, b, 0)
      : strided(dst, a, as, b, bs);

/** Row kernels of the arithmetic ops. */
export const rows = {
  add: rowKernel(
    (d, a, _, b) => {
      for (let j = 0; j < d.length; j++) d[j] = a[j]! + b[j]!;
    },
    (d, a, _, b) => {
      const y = b[0]!;
      for (let j = 0; j < d.length; j++) d[j] = a[j]! + y;
    },
    (d, a, as, b, bs) => {
      for (let j = 0; j < d.length; j++) d[j] = a[j * as]! + b[j * bs]!;
    },
  ),
  sub: rowKernel(
    (d, a, _, b) => {
      for (let j = 0; j < d.length; j++) d[j] = a[j]! - b[j]!;
    },
    (d, a, _, b) => {
      const y = b[0]!;
      for (let j = 0; j < d.length; j++) d[j] = a[j]! - y;
    },
    (d, a, as, b, bs) => {
      for (let j = 0; j < d.length; j++) d[j] = a[j * as]! - b[j * bs]!;
    },
  ),
  mul: rowKernel(
    (d, a, _, b) => {
      for (let j = 0; j < d.length; j++) d[j] = a[j]! * b[j]!;
    },
    (d, a, _, b) => {
      const y = b[0]!;
      for (let j = 0; j < d.length; j++) d[j] = a[j]! * y;
    },
    (d, a, as, b, bs) => {
      for (let j = 0; j < d.length; j++) d[j] = a[j * as]! * b[j * bs]!;
    },
  ),
  div: rowKernel(
    (d, a, _, b) => {
      for (let j = 0; j < d.length; j++) d[j] = a[j]! / b[j]!;
    },
    (d, a, _, b) => {
      const y = b[0]!;
      for (let j = 0; j < d.length; j++) d[j] = a[j]! / y;
    },
    (d, a, as, b, bs) => {
      for (let j = 0; j < d.length; j++) d[j] = a[j * as]! / b[j * bs]!;
    },
  ),
  /** The first operand, broadcast: how a cotangent is spread back over a reduced axis. */
  first: (d: Float64Array, a: Float64Array, as: number) => {
    for (let j = 0; j < d.length; j++) d[j] = a[j * as]!;
  },
} satisfies Record<string, RowKernel>;

/** `kernel` applied row by row to a and b broadcast together (rows or columns of size 1, or numbers). */
export const zip = (op: string, a: Operand, b: Operand, kernel: RowKernel): Matrix => {
  const [rowCount, cols] = broadcastShape(op, a, b);
  const [m, out] = alloc(rowCount, cols);
  const rowAt = operandRows(a);
  const rowBt = operandRows(b);
  const aStep = typeof a === 'number' || a.columns === 1 ? 0 : 1;
  const bStep = typeof b === 'number' || b.columns === 1 ? 0 : 1;
  for (let i = 0; i < rowCount; i++) kernel(out[i]!, rowAt(i), aStep, rowBt(i), bStep);
  return m;
};

/** Row i of an operand under broadcasting: a number or a one-row matrix gives the same row every time. */
const operandRows = (x: Operand): ((i: number) => Float64Array) => {
  if (typeof x === 'number') {
    const row = Float64Array.of(x);
    return () => row;
  }
  const rows = rowsOf(x);
  if (x.rows === 1) {
    const row = rows[0] ?? new Float64Array(0);
    return () => row;
  }
  return (i) => rows[i]!;
};

/** The sum of every entry, as a 1 × 1 matrix. */
export const sumAll = (x: Matrix): Matrix => {
  let s = 0;
  for (const row of rowsOf(x)) for (let j = 0; j < row.length; j++) s += row[j]!;
  const [m, out] = alloc(1, 1);
  out[0]![0] = s;
  return m;
};

/** Column sums (summing over rows): m × n → 1 × n. */
export const sumRows = (x: Matrix): Matrix => {
  const [m, out] = alloc(1, x.columns);
  const dst = out[0]!;
  for (const row of rowsOf(x)) for (let j = 0; j < row.length; j++) dst[j]! += row[j]!;
  return m;
};

/** Row sums (summing over columns): m × n → m × 1. */
export const sumCols = (x: Matrix): Matrix => {
  const [m, out] = alloc(x.rows, 1);
  const xs = rowsOf(x);
  for (let i = 0; i < x.rows; i++) {
    const row = xs[i]!;
    let s = 0;
    for (let j = 0; j < row.length; j++) s += row[j]!;
    out[i]![0] = s;
  }
  return m;
};

/** xᵀ. */
export const transpose = (x: Matrix): Matrix => {
  const [m, out] = alloc(x.columns, x.rows);
  const xs = rowsOf(x);
  for (let i = 0; i < x.rows; i++) {
    const row = xs[i]!;
    for (let j = 0; j < row.length; j++) out[j]![i] = row[j]!;
  }
  return m;
};

/** Row-wise log Σ exp, stable: max + log Σ exp(x − max). m × n → m × 1. */
export const logSumExpRows = (x: Matrix): Matrix => {
  const [m, out] = alloc(x.rows, 1);
  const xs = rowsOf(x);
  for (let i = 0; i < x.rows; i++) out[i]![0] = rowLogSumExp(xs[i]!);
  return m;
};

const rowLogSumExp = (row: Float64Array): number => {
  let max = Number.NEGATIVE_INFINITY;
  for (let j = 0; j < row.length; j++) if (row[j]! > max) max = row[j]!;
  if (max === Number.NEGATIVE_INFINITY || max === Number.POSITIVE_INFINITY) return max;
  let s = 0;
  for (let j = 0; j < row.length; j++) s += Math.exp(row[j]! - max);
  return max + Math.log(s);
};

/** Row-wise x − logΣexp(x), stable. */
export const logSoftmaxRows = (x: Matrix): Matrix => {
  const [m, out] = alloc(x.rows, x.columns);
  const xs = rowsOf(x);
  for (let i = 0; i < x.rows; i++) {
    const row = xs[i]!;
    const lse = rowLogSumExp(row);
    const dst = out[i]!;
    for (let j = 0; j < row.length; j++) dst[j] = row[j]! - lse;
  }
  return m;
};

/** Row-wise softmax, stable: exp(x − logΣexp(x)). */
export const softmaxRows = (x: Matrix): Matrix => map(logSoftmaxRows(x), Math.exp);

/** Mean over rows of Σⱼ y[i,j]·(logΣexp(x[i]) − x[i,j]): cross-entropy of softmax(x) against targets y. */
export const softmaxCrossEntropy = (logits: Matrix, targets: Matrix): Matrix => {
  const xs = rowsOf(logits);
  const ys = rowsOf(targets);
  let total = 0;
  for (let i = 0; i < logits.rows; i++) {
    const x = xs[i]!;
    const y = ys[i]!;
    const lse = rowLogSumExp(x);
    for (let j = 0; j < x.length; j++) if (y[j] !== 0) total += y[j]! * (lse - x[j]!);
  }
  const [m, out] = alloc(1, 1);
  out[0]![0] = logits.rows === 0 ? 0 : total / logits.rows;
  return m;
};

/** Index of the first non-finite entry of x, or undefined when all are finite. */
export const firstNonFinite = (x: Matrix): [number, number] | undefined => {
  const xs = rowsOf(x);
  for (let i = 0; i < xs.length; i++) {
    const row = xs[i]!;
    for (let j = 0; j < row.length; j++) if (!Number.isFinite(row[j]!)) return [i, j];
  }
  return undefined;
};
