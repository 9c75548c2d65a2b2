import { allocFlat, type Matrix, shapeString, storageOf } from './matrix.js';
import { wasmAvailable, wasmAbsColumnSums as wasmColumnSums, wasmProduct } from './wasm/gemm.js';

/**
 * Raw float64 matrix-multiply kernels: no tape, no broadcasting, a fresh result, inputs never
 * written. The differentiable ops check shapes and name themselves in errors; here a single
 * comparison guards the inner dimension, since a mismatch would otherwise read missing rows or
 * silently ignore extra ones.
 *
 * All three share one inner routine, `accumulate`: out row i += Σ_q s_q · (row p_q of b), over the
 * nonzero coefficients s_q of row i of a, four rows of b at a time (i-k-j order). Compressing the
 * nonzeros first skips the zeros of MNIST inputs (~80 %) and ReLU activations (~50 %) for free,
 * and taking four rows of b per pass reads and writes the out row a quarter as often.
 *
 * IEEE semantics are those of the naive sum: a zero coefficient is skipped only when its row of b
 * is all finite, so 0 · Inf and 0 · NaN still give NaN. Skipping a finite zero product cannot
 * change a sum that starts at +0 (not even its sign), so the only difference from the naive loop
 * is rounding from the grouping of four terms.
 */

/** 1 where row r of the k × n matrix `b` is all finite, else 0: x · 0 is NaN exactly for ±Inf and NaN. */
const finiteRowMask = (b: Float64Array, k: number, n: number): Uint8Array => {
  const mask = new Uint8Array(k);
  const n4 = n - (n % 4);
  for (let r = 0; r < k; r++) {
    const at = r * n;
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    let j = 0;
    for (; j < n4; j += 4) {
      s0 += b[at + j]! * 0;
      s1 += b[at + j + 1]! * 0;
      s2 += b[at + j + 2]! * 0;
      s3 += b[at + j + 3]! * 0;
    }
    for (; j < n; j++) s0 += b[at + j]! * 0;
    mask[r] = s0 + s1 + s2 + s3 === 0 ? 1 : 0;
  }
  return mask;
};

/** out[o + j] += Σ_{q<count} coef[q] · b[index[q] + j] for j < n: index holds offsets of rows of b. */
const accumulate = (
  out: Float64Array,
  o: number,
  index: Int32Array,
  coef: Float64Array,
  count: number,
  b: Float64Array,
  n: number,
): void => {
  const n4 = n - (n % 4);
  const count4 = count - (count % 4);
  let q = 0;
  for (; q < count4; q += 4) {
    const s0 = coef[q]!;
    const s1 = coef[q + 1]!;
    const s2 = coef[q + 2]!;
    const s3 = coef[q + 3]!;
    const b0 = index[q]!;
    const b1 = index[q + 1]!;
    const b2 = index[q + 2]!;
    const b3 = index[q + 3]!;
    let j = 0;
    for (; j < n4; j += 4) {
      out[o + j]! += s0 * b[b0 + j]! + s1 * b[b1 + j]! + s2 * b[b2 + j]! + s3 * b[b3 + j]!;
      out[o + j + 1]! +=
        s0 * b[b0 + j + 1]! + s1 * b[b1 + j + 1]! + s2 * b[b2 + j + 1]! + s3 * b[b3 + j + 1]!;
      out[o + j + 2]! +=
        s0 * b[b0 + j + 2]! + s1 * b[b1 + j + 2]! + s2 * b[b2 + j + 2]! + s3 * b[b3 + j + 2]!;
      out[o + j + 3]! +=
        s0 * b[b0 + j + 3]! + s1 * b[b1 + j + 3]! + s2 * b[b2 + j + 3]! + s3 * b[b3 + j + 3]!;
    }
    for (; j < n; j++)
      out[o + j]! += s0 * b[b0 + j]! + s1 * b[b1 + j]! + s2 * b[b2 + j]! + s3 * b[b3 + j]!;
  }
  for (; q < count; q++) {
    const s = coef[q]!;
    const b0 = index[q]!;
    for (let j = 0; j < n; j++) out[o + j]! += s * b[b0 + j]!;
  }
};

/**
 * X · B as a fresh m×n matrix, the one loop behind all three kernels: X(i, p) is
 * a[i·ars + p·acs] (so one routine serves X = A and X = Aᵀ); `b` is k rows of width n, row-major.
 */
const product = (
  m: number,
  k: number,
  n: number,
  a: Float64Array,
  ars: number,
  acs: number,
  b: Float64Array,
  bias?: Float64Array,
): Matrix => {
  const finite = finiteRowMask(b, k, n);
  const [result, out] = allocFlat(m, n);
  const index = new Int32Array(k);
  const coef = new Float64Array(k);
  for (let i = 0; i < m; i++) {
    let count = 0;
    for (let p = 0, x = i * ars; p < k; p++, x += acs) {
      const s = a[x]!;
      if (s !== 0 || finite[p] === 0) {
        index[count] = p * n;
        coef[count++] = s;
      }
    }
    accumulate(out, i * n, index, coef, count, b, n);
    if (bias !== undefined) for (let j = 0; j < n; j++) out[i * n + j]! += bias[j]!;
  }
  return result;
};

/** The k × n matrix bᵀ of an n × k matrix b, row-major (an internal scratch buffer). */
export const transposedStorage = (b: Matrix): Float64Array => {
  const k = b.columns;
  const n = b.rows;
  const src = storageOf(b);
  const t = new Float64Array(k * n);
  for (let j = 0; j < n; j++) for (let p = 0; p < k; p++) t[p * n + j] = src[j * k + p]!;
  return t;
};

const mismatch = (kernel: string, a: Matrix, b: Matrix, expected: string): RangeError =>
  new RangeError(`${kernel}: a is ${shapeString(a)}, b is ${shapeString(b)}; expected ${expected}`);

/** The three products of one implementation. */
export interface Gemm {
  /** a · b for a: m×k, b: k×n, as a fresh m×n matrix. */
  readonly matmulNN: (a: Matrix, b: Matrix) => Matrix;
  /** aᵀ · b for a: k×m, b: k×n, as a fresh m×n matrix, without materialising aᵀ. */
  readonly matmulTN: (a: Matrix, b: Matrix) => Matrix;
  /** a · bᵀ for a: m×k, b: n×k, as a fresh m×n matrix. */
  readonly matmulNT: (a: Matrix, b: Matrix) => Matrix;
  /** x · W + b for x: m×k, W: k×n and a 1×n bias b: the product, then b added to each row. */
  readonly dense: (x: Matrix, W: Matrix, b: Matrix) => Matrix;
}

const checkDense = (x: Matrix, W: Matrix, b: Matrix): void => {
  if (W.rows !== x.columns || b.rows !== 1 || b.columns !== W.columns)
    throw new RangeError(
      `dense: x is ${shapeString(x)}, W is ${shapeString(W)}, b is ${shapeString(b)}; expected x.columns === W.rows and b 1x(W.columns)`,
    );
};

/**
 * The reference JS kernels. matmulNT puts bᵀ into an internal scratch buffer: at this project's
 * sizes that plus the shared kernel beats unrolled row-dot-products (see bench/).
 */
export const jsGemm: Gemm = {
  matmulNN: (a, b) => {
    if (b.rows !== a.columns) throw mismatch('matmulNN', a, b, 'a.columns === b.rows');
    return product(a.rows, a.columns, b.columns, storageOf(a), a.columns, 1, storageOf(b));
  },
  matmulTN: (a, b) => {
    if (b.rows !== a.rows) throw mismatch('matmulTN', a, b, 'a.rows === b.rows');
    return product(a.columns, a.rows, b.columns, storageOf(a), 1, a.columns, storageOf(b));
  },
  matmulNT: (a, b) => {
    if (b.columns !== a.columns) throw mismatch('matmulNT', a, b, 'a.columns === b.columns');
    return product(a.rows, a.columns, b.rows, storageOf(a), a.columns, 1, transposedStorage(b));
  },
  dense: (x, W, b) => {
    checkDense(x, W, b);
    return product(
      x.rows,
      x.columns,
      W.columns,
      storageOf(x),
      x.columns,
      1,
      storageOf(W),
      storageOf(b),
    );
  },
};

/**
 * The same products by the WebAssembly SIMD kernel (wasm/gemm.wat): the same compression and the
 * same per-element expression order, so bit-identical to `jsGemm`. Undefined where wasm SIMD is
 * unavailable.
 */
export const wasmGemm: Gemm | undefined = wasmAvailable
  ? {
      matmulNN: (a, b) => {
        if (b.rows !== a.columns) throw mismatch('matmulNN', a, b, 'a.columns === b.rows');
        const [m, k, n] = [a.rows, a.columns, b.columns];
        return wasmProduct(m, k, n, storageOf(a), k, 1, storageOf(b), false);
      },
      matmulTN: (a, b) => {
        if (b.rows !== a.rows) throw mismatch('matmulTN', a, b, 'a.rows === b.rows');
        const [m, k, n] = [a.columns, a.rows, b.columns];
        return wasmProduct(m, k, n, storageOf(a), 1, m, storageOf(b), false);
      },
      matmulNT: (a, b) => {
        if (b.columns !== a.columns) throw mismatch('matmulNT', a, b, 'a.columns === b.columns');
        const [m, k, n] = [a.rows, a.columns, b.rows];
        return wasmProduct(m, k, n, storageOf(a), k, 1, storageOf(b), true);
      },
      dense: (x, W, b) => {
        checkDense(x, W, b);
        const [m, k, n] = [x.rows, x.columns, W.columns];
        return wasmProduct(m, k, n, storageOf(x), k, 1, storageOf(W), false, storageOf(b));
      },
    }
  : undefined;

/** An environment variable where there is one (node), else undefined (browsers): no node:* import. */
const environmentVariable = (name: string): string | undefined => {
  const proc: unknown = Reflect.get(globalThis, 'process');
  if (typeof proc !== 'object' || proc === null) return undefined;
  const env: unknown = Reflect.get(proc, 'env');
  if (typeof env !== 'object' || env === null) return undefined;
  const value: unknown = Reflect.get(env, name);
  return typeof value === 'string' ? value : undefined;
};

/** Which kernels run: `DIFFTAPE_KERNELS=js` or `=wasm` forces one, else wasm where available. */
export const selectKernels = (requested: string | undefined): ['wasm' | 'js', Gemm] => {
  if (requested === undefined || requested === '')
    return wasmGemm ? ['wasm', wasmGemm] : ['js', jsGemm];
  if (requested === 'js') return ['js', jsGemm];
  if (requested === 'wasm') {
    if (wasmGemm) return ['wasm', wasmGemm];
    throw new Error('DIFFTAPE_KERNELS=wasm, but this runtime has no WebAssembly SIMD');
  }
  throw new RangeError(`DIFFTAPE_KERNELS must be 'js' or 'wasm', got '${requested}'`);
};

const [path, selected] = selectKernels(environmentVariable('DIFFTAPE_KERNELS'));

/** The kernels in use: 'wasm', or 'js' when forced by DIFFTAPE_KERNELS=js or without wasm SIMD. */
export const kernelPath: 'wasm' | 'js' = path;

/** a · b for a: m×k, b: k×n, as a fresh m×n matrix. */
export const matmulNN = selected.matmulNN;
/** aᵀ · b for a: k×m, b: k×n, as a fresh m×n matrix, without materialising aᵀ. */
export const matmulTN = selected.matmulTN;
/** a · bᵀ for a: m×k, b: n×k, as a fresh m×n matrix. */
export const matmulNT = selected.matmulNT;
/** x · W + b for x: m×k, W: k×n and a 1×n bias b, as a fresh m×n matrix. */
export const dense = selected.dense;

/** Σᵢ |w[i][j]| for each column j, summing over rows in row order: the JS reference and fallback. */
export const jsAbsColumnSums = (w: Matrix): Float64Array => {
  const ws = storageOf(w);
  const n = w.columns;
  const sums = new Float64Array(n);
  for (let i = 0; i < ws.length; i += n)
    for (let j = 0; j < n; j++) sums[j]! += Math.abs(ws[i + j]!);
  return sums;
};

/** The same sums by wasm SIMD, in the same order (bit-identical); undefined without wasm SIMD. */
export const wasmAbsColumnSums: ((w: Matrix) => Float64Array) | undefined = wasmAvailable
  ? (w) => wasmColumnSums(storageOf(w), w.rows, w.columns)
  : undefined;

/** Σᵢ |w[i][j]| for each column j of w, summed in row order: the column L1 norms of l1MaxColumn. */
export const absColumnSums: (w: Matrix) => Float64Array =
  path === 'wasm' && wasmAbsColumnSums ? wasmAbsColumnSums : jsAbsColumnSums;
