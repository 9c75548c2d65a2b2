import { kernelPath } from './matmul.js';
import { allocFlat, type Matrix, shapeString, storageOf, wrapFlat } from './matrix.js';
import { wasmAddScaledFlat, wasmLookupBytes, wasmReluFlat } from './wasm/gemm.js';

/**
 * Raw float64 kernels over the matrices' flat row-major storage (matrix.ts). Each returns a fresh
 * matrix and never writes to its inputs, except addScaledInto, which writes into the array it is
 * given. They know nothing of tapes; the differentiable ops in `primitives/` call them.
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
  const src = storageOf(x);
  const [m, dst] = allocFlat(x.rows, x.columns);
  for (let j = 0; j < src.length; j++) dst[j] = f(src[j]!);
  return m;
};

/** max(x, 0) entrywise (Math.max: NaN stays NaN, −0 becomes 0): the JS reference and fallback. */
export const jsRelu = (x: Matrix): Matrix => {
  const src = storageOf(x);
  const [m, dst] = allocFlat(x.rows, x.columns);
  for (let j = 0; j < src.length; j++) dst[j] = Math.max(src[j]!, 0);
  return m;
};

/** The same by wasm f64x2.max, with the same NaN and −0 rules (`pnpm bench`: 2 to 5 times the JS loop's speed). */
export const wasmRelu = (x: Matrix): Matrix =>
  wrapFlat(x.rows, x.columns, wasmReluFlat(storageOf(x)));

/** relu on the kernel path in use (matmul.ts's `kernelPath`): the hottest elementwise op. */
export const relu = kernelPath === 'wasm' ? wasmRelu : jsRelu;

/**
 * Rows of a byte array through a 256-entry table, as a `starts.length` × `width` matrix: row r is
 * table[bytes[starts[r] + j]] for j < width (MNIST's pixels to p / 255). The JS reference.
 */
export const jsGatherBytes = (
  bytes: Uint8Array,
  starts: ArrayLike<number>,
  width: number,
  table: Float64Array,
): Matrix => {
  const [m, out] = allocFlat(starts.length, width);
  for (let r = 0, o = 0; r < starts.length; r++)
    for (let j = starts[r]!, end = j + width; j < end; j++, o++) out[o] = table[bytes[j]!]!;
  return m;
};

/** The same lookups in wasm (no arithmetic, so the same bits). */
export const wasmGatherBytes: typeof jsGatherBytes = (bytes, starts, width, table) =>
  wrapFlat(starts.length, width, wasmLookupBytes(bytes, starts, width, table));

/** gatherBytes on the kernel path in use. */
export const gatherBytes = kernelPath === 'wasm' ? wasmGatherBytes : jsGatherBytes;

/**
 * d[j] ← p[j] + d[j]·s, in place in `d`: the one kernel here that writes, for an optimiser's
 * update into the step it made and handed to no one (nn's optim/owned.ts). The JS reference.
 */
export const jsAddScaledInto = (d: Float64Array, p: Float64Array, s: number): void => {
  checkSameLength('addScaledInto', d, p);
  const n4 = d.length - (d.length % 4);
  let j = 0;
  for (; j < n4; j += 4) {
    d[j] = p[j]! + d[j]! * s;
    d[j + 1] = p[j + 1]! + d[j + 1]! * s;
    d[j + 2] = p[j + 2]! + d[j + 2]! * s;
    d[j + 3] = p[j + 3]! + d[j + 3]! * s;
  }
  for (; j < d.length; j++) d[j] = p[j]! + d[j]! * s;
};

/** The same in wasm f64x2 (a product, then a sum: the same bits), about 1.5 times as fast at 784 × 100 (pnpm bench). */
export const wasmAddScaledInto: typeof jsAddScaledInto = (d, p, s) => {
  checkSameLength('addScaledInto', d, p);
  wasmAddScaledFlat(d, p, s);
};

/** addScaledInto on the kernel path in use. */
export const addScaledInto = kernelPath === 'wasm' ? wasmAddScaledInto : jsAddScaledInto;

const checkSameLength = (kernel: string, d: Float64Array, p: Float64Array): void => {
  if (d.length !== p.length)
    throw new RangeError(`${kernel}: d has ${d.length} entries but p has ${p.length}`);
};

/** g·[x > 0] entrywise, rounded as mul(g, positive(x)) (g·1, g·0): relu's backward in one pass. */
export const mulPositive = (g: Matrix, x: Matrix): Matrix => {
  const [gs, xs] = [storageOf(g), storageOf(x)];
  const [m, dst] = allocFlat(g.rows, g.columns);
  for (let j = 0; j < gs.length; j++) dst[j] = gs[j]! * +(xs[j]! > 0);
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

/** Row kernels of the arithmetic ops; add's and mul's (the optimisers' passes) four entries per pass. */
export const rows = {
  add: rowKernel(
    (d, a, _, b) => {
      const n4 = d.length - (d.length % 4);
      let j = 0;
      for (; j < n4; j += 4) {
        d[j] = a[j]! + b[j]!;
        d[j + 1] = a[j + 1]! + b[j + 1]!;
        d[j + 2] = a[j + 2]! + b[j + 2]!;
        d[j + 3] = a[j + 3]! + b[j + 3]!;
      }
      for (; j < d.length; j++) d[j] = a[j]! + b[j]!;
    },
    (d, a, _, b) => {
      const y = b[0]!;
      const n4 = d.length - (d.length % 4);
      let j = 0;
      for (; j < n4; j += 4) {
        d[j] = a[j]! + y;
        d[j + 1] = a[j + 1]! + y;
        d[j + 2] = a[j + 2]! + y;
        d[j + 3] = a[j + 3]! + y;
      }
      for (; j < d.length; j++) d[j] = a[j]! + y;
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
      const n4 = d.length - (d.length % 4);
      let j = 0;
      for (; j < n4; j += 4) {
        d[j] = a[j]! * b[j]!;
        d[j + 1] = a[j + 1]! * b[j + 1]!;
        d[j + 2] = a[j + 2]! * b[j + 2]!;
        d[j + 3] = a[j + 3]! * b[j + 3]!;
      }
      for (; j < d.length; j++) d[j] = a[j]! * b[j]!;
    },
    (d, a, _, b) => {
      const y = b[0]!;
      const n4 = d.length - (d.length % 4);
      let j = 0;
      for (; j < n4; j += 4) {
        d[j] = a[j]! * y;
        d[j + 1] = a[j + 1]! * y;
        d[j + 2] = a[j + 2]! * y;
        d[j + 3] = a[j + 3]! * y;
      }
      for (; j < d.length; j++) d[j] = a[j]! * y;
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

/**
 * `kernel` applied to a and b broadcast together (rows or columns of size 1, or numbers): in one
 * call over the flat storage when each operand is full-size or a single number, else row by row.
 */
export const zip = (op: string, a: Operand, b: Operand, kernel: RowKernel): Matrix => {
  const [rowCount, cols] = broadcastShape(op, a, b);
  const [m, out] = allocFlat(rowCount, cols);
  const A = operandOf(a, rowCount, cols);
  const B = operandOf(b, rowCount, cols);
  if (A.whole && B.whole) {
    kernel(out, A.flat, A.step, B.flat, B.step);
    return m;
  }
  for (let i = 0; i < rowCount; i++)
    kernel(out.subarray(i * cols, (i + 1) * cols), A.row(i), A.step, B.row(i), B.step);
  return m;
};

/** An operand under broadcasting: its storage, its column step (0 repeats one entry) and row i. */
interface Broadcast {
  readonly flat: Float64Array;
  readonly step: number;
  /** True when one call over `flat` covers the whole result: full size, or a single entry. */
  readonly whole: boolean;
  readonly row: (i: number) => Float64Array;
}

const operandOf = (x: Operand, rowCount: number, cols: number): Broadcast => {
  const flat = typeof x === 'number' ? Float64Array.of(x) : storageOf(x);
  const [r, c] = shapeOf(x);
  if (r === rowCount && c === cols)
    return { flat, step: 1, whole: true, row: (i) => flat.subarray(i * cols, (i + 1) * cols) };
  if (r === 1 && c === 1) return { flat, step: 0, whole: true, row: () => flat };
  if (r === 1) return { flat, step: 1, whole: false, row: () => flat };
  return { flat, step: 0, whole: false, row: (i) => flat.subarray(i, i + 1) };
};

/** The sum of every entry, as a 1 × 1 matrix. */
export const sumAll = (x: Matrix): Matrix => {
  const xs = storageOf(x);
  let s = 0;
  for (let j = 0; j < xs.length; j++) s += xs[j]!;
  return wrapFlat(1, 1, Float64Array.of(s));
};

/** Column sums (summing over rows): m × n → 1 × n. */
export const sumRows = (x: Matrix): Matrix => {
  const xs = storageOf(x);
  const n = x.columns;
  const [m, dst] = allocFlat(1, n);
  for (let i = 0; i < x.rows; i++) {
    const at = i * n;
    for (let j = 0; j < n; j++) dst[j]! += xs[at + j]!;
  }
  return m;
};

/** Row sums (summing over columns): m × n → m × 1. */
export const sumCols = (x: Matrix): Matrix => {
  const xs = storageOf(x);
  const n = x.columns;
  const [m, out] = allocFlat(x.rows, 1);
  for (let i = 0; i < x.rows; i++) {
    let s = 0;
    for (let j = i * n; j < (i + 1) * n; j++) s += xs[j]!;
    out[i] = s;
  }
  return m;
};

/** xᵀ. */
export const transpose = (x: Matrix): Matrix => {
  const xs = storageOf(x);
  const [r, c] = [x.rows, x.columns];
  const [m, out] = allocFlat(c, r);
  for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) out[j * r + i] = xs[i * c + j]!;
  return m;
};

/** Row-wise log Σ exp, stable: max + log Σ exp(x − max). m × n → m × 1. */
export const logSumExpRows = (x: Matrix): Matrix => {
  const xs = storageOf(x);
  const [m, out] = allocFlat(x.rows, 1);
  for (let i = 0; i < x.rows; i++) out[i] = rowLogSumExp(xs, i * x.columns, x.columns);
  return m;
};

/** log Σ exp of the n entries of `xs` from `at`, stable. */
const rowLogSumExp = (xs: Float64Array, at: number, n: number): number => {
  let max = Number.NEGATIVE_INFINITY;
  for (let j = at; j < at + n; j++) if (xs[j]! > max) max = xs[j]!;
  if (max === Number.NEGATIVE_INFINITY || max === Number.POSITIVE_INFINITY) return max;
  let s = 0;
  for (let j = at; j < at + n; j++) s += Math.exp(xs[j]! - max);
  return max + Math.log(s);
};

/** Row-wise x − logΣexp(x), stable. */
export const logSoftmaxRows = (x: Matrix): Matrix => {
  const xs = storageOf(x);
  const n = x.columns;
  const [m, out] = allocFlat(x.rows, n);
  for (let i = 0; i < x.rows; i++) {
    const lse = rowLogSumExp(xs, i * n, n);
    for (let j = i * n; j < (i + 1) * n; j++) out[j] = xs[j]! - lse;
  }
  return m;
};

/** Row-wise softmax, stable: exp(x − logΣexp(x)). */
export const softmaxRows = (x: Matrix): Matrix => map(logSoftmaxRows(x), Math.exp);

/** Mean over rows of Σⱼ y[i,j]·(logΣexp(x[i]) − x[i,j]): cross-entropy of softmax(x) against targets y. */
export const softmaxCrossEntropy = (logits: Matrix, targets: Matrix): Matrix => {
  const xs = storageOf(logits);
  const ys = storageOf(targets);
  const n = logits.columns;
  let total = 0;
  for (let i = 0; i < logits.rows; i++) {
    const lse = rowLogSumExp(xs, i * n, n);
    for (let j = i * n; j < (i + 1) * n; j++) if (ys[j] !== 0) total += ys[j]! * (lse - xs[j]!);
  }
  return wrapFlat(1, 1, Float64Array.of(logits.rows === 0 ? 0 : total / logits.rows));
};

/**
 * Index of the first non-finite entry of x, or undefined when all are finite. A pass of x·0 sums
 * first (NaN exactly when some x is NaN or ±Infinity; four sums, so no add waits on the last),
 * about twice as fast as testing each entry: training checks every parameter after every step.
 */
export const firstNonFinite = (x: Matrix): [number, number] | undefined => {
  const xs = storageOf(x);
  const n4 = xs.length - (xs.length % 4);
  // separate lets: V8 keeps destructured ones out of registers (4 times slower here)
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  for (let j = 0; j < n4; j += 4) {
    s0 += xs[j]! * 0;
    s1 += xs[j + 1]! * 0;
    s2 += xs[j + 2]! * 0;
    s3 += xs[j + 3]! * 0;
  }
  for (let j = n4; j < xs.length; j++) s0 += xs[j]! * 0;
  if (s0 + s1 + s2 + s3 === 0) return undefined;
  for (let j = 0; j < xs.length; j++)
    if (!Number.isFinite(xs[j]!)) return [Math.floor(j / x.columns), j % x.columns];
  return undefined;
};
