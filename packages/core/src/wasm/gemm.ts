import { type Matrix, wrapFlat } from '../matrix.js';
import { gemmWasmBase64 } from './gemm-module.js';

/**
 * The wasm gemm (gemm.wat) behind the same three products as the JS kernels in ../matmul.ts. Each
 * call copies its operands' flat storage into the module's memory, runs, and copies the result out
 * into a fresh matrix, so inputs are never written and results are ordinary ml-matrix values. One memory is
 * reused across calls and grows to the largest call seen.
 */

/** The part of the module's memory we use. */
interface Memory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}

interface GemmExports {
  readonly memory: Memory;
  readonly gemm: (
    m: number,
    k: number,
    n: number,
    a: number,
    aRowStride: number,
    aColStride: number,
    b: number,
    out: number,
    mask: number,
    idx: number,
    coef: number,
    bias: number,
  ) => void;
  readonly transpose: (src: number, rows: number, cols: number, dst: number) => void;
  readonly relu: (src: number, n: number, dst: number) => void;
  readonly lookupBytes: (src: number, n: number, table: number, dst: number) => void;
  readonly addScaled: (p: number, d: number, n: number, s: number) => void;
  readonly absColumnSums: (b: number, k: number, n: number, sums: number) => void;
}

/**
 * The few WebAssembly JS API calls we make. Typed here and read off `globalThis` because core's
 * lib settings (ES2022, no DOM) declare no WebAssembly values; node and browsers have them.
 */
interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  readonly Module: new (bytes: Uint8Array) => object;
  readonly Instance: new (module: object) => { readonly exports: object };
}

const isObject = (x: unknown): x is object => typeof x === 'object' && x !== null;

const isWasmApi = (x: unknown): x is WasmApi =>
  isObject(x) &&
  typeof Reflect.get(x, 'validate') === 'function' &&
  typeof Reflect.get(x, 'Module') === 'function' &&
  typeof Reflect.get(x, 'Instance') === 'function';

const isMemory = (x: unknown): x is Memory =>
  isObject(x) &&
  Reflect.get(x, 'buffer') instanceof ArrayBuffer &&
  typeof Reflect.get(x, 'grow') === 'function';

const isGemmExports = (x: object): x is GemmExports =>
  isMemory(Reflect.get(x, 'memory')) &&
  ['gemm', 'transpose', 'absColumnSums', 'relu', 'lookupBytes', 'addScaled'].every(
    (f) => typeof Reflect.get(x, f) === 'function',
  );

const decodeBase64 = (text: string): Uint8Array => {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
};

/** The instantiated module, or undefined where WebAssembly (with SIMD) is unavailable. */
const instantiate = (): GemmExports | undefined => {
  const api: unknown = Reflect.get(globalThis, 'WebAssembly');
  if (!isWasmApi(api)) return undefined;
  const bytes = decodeBase64(gemmWasmBase64);
  if (!api.validate(bytes)) return undefined;
  const { exports } = new api.Instance(new api.Module(bytes));
  return isGemmExports(exports) ? exports : undefined;
};

const wasm = instantiate();

/** True when the wasm kernels can run here. */
export const wasmAvailable = wasm !== undefined;

const PAGE = 65536;
const align = (bytes: number): number => Math.ceil(bytes / 16) * 16;

/** The module's memory as f64, grown to hold at least `bytes`. */
const heapOf = (module: GemmExports, bytes: number): Float64Array => {
  const { memory } = module;
  const missing = bytes - memory.buffer.byteLength;
  if (missing > 0) memory.grow(Math.ceil(missing / PAGE));
  return new Float64Array(memory.buffer);
};

/**
 * X · B as a fresh m×n matrix: X(i, p) is a[i·ars + p·acs] (element strides, so one routine serves
 * X = A and X = Aᵀ); B is k×n, `b` row-major or, when `bTransposed`, `b` holds Bᵀ (n×k) row-major.
 */
export const wasmProduct = (
  m: number,
  k: number,
  n: number,
  a: Float64Array,
  ars: number,
  acs: number,
  b: Float64Array,
  bTransposed: boolean,
  bias?: Float64Array,
): Matrix => {
  if (wasm === undefined) throw new Error('wasmProduct: WebAssembly SIMD is not available');
  const mask = 0;
  const idx = align(k);
  const coef = idx + align(4 * k);
  const aAt = coef + align(8 * k);
  const bAt = aAt + align(8 * a.length);
  const out = bAt + align(8 * k * n);
  // past out: the bias row, or Bᵀ as given before it is transposed into place
  const extra = out + align(8 * m * n);
  const heap = heapOf(wasm, extra + 8 * (bTransposed ? k * n : (bias?.length ?? 0)));
  heap.set(a, aAt / 8);
  if (bTransposed) {
    heap.set(b, extra / 8);
    wasm.transpose(extra, n, k, bAt);
  } else heap.set(b, bAt / 8);
  if (bias !== undefined) heap.set(bias, extra / 8);
  wasm.gemm(m, k, n, aAt, 8 * ars, 8 * acs, bAt, out, mask, idx, coef, bias ? extra : 0);
  return wrapFlat(m, n, heap.slice(out / 8, out / 8 + m * n));
};

/** Σᵢ |w[i·n + j]| for each column j of the k × n row-major `w`, row by row: one f64x2 per 2 columns. */
export const wasmAbsColumnSums = (w: Float64Array, k: number, n: number): Float64Array => {
  if (wasm === undefined) throw new Error('wasmAbsColumnSums: WebAssembly SIMD is not available');
  const sums = align(8 * w.length);
  const heap = heapOf(wasm, sums + 8 * n);
  heap.set(w, 0);
  wasm.absColumnSums(0, k, n, sums);
  return heap.slice(sums / 8, sums / 8 + n);
};

/** max(x, 0) for every entry of `src` (Math.max's NaN and −0 rules), as a fresh array: in place in wasm memory. */
export const wasmReluFlat = (src: Float64Array): Float64Array => {
  if (wasm === undefined) throw new Error('wasmReluFlat: WebAssembly SIMD is not available');
  const heap = heapOf(wasm, 8 * src.length);
  heap.set(src, 0);
  wasm.relu(0, src.length, 0);
  return heap.slice(0, src.length);
};

/**
 * table[bytes[s + j]] for each start s in `starts` and j < width, the runs back to back, as a
 * fresh array: the runs are copied in as bytes and widened in wasm, where a JS loop over the
 * float64 output costs several times as much.
 */
export const wasmLookupBytes = (
  bytes: Uint8Array,
  starts: ArrayLike<number>,
  width: number,
  table: Float64Array,
): Float64Array => {
  if (wasm === undefined) throw new Error('wasmLookupBytes: WebAssembly SIMD is not available');
  const n = starts.length * width;
  const src = 8 * table.length;
  const dst = align(src + n);
  const heap = heapOf(wasm, dst + 8 * n);
  heap.set(table, 0);
  const heapBytes = new Uint8Array(heap.buffer);
  for (let r = 0; r < starts.length; r++)
    heapBytes.set(bytes.subarray(starts[r]!, starts[r]! + width), src + r * width);
  wasm.lookupBytes(src, n, 0, dst);
  return heap.slice(dst / 8, dst / 8 + n);
};

/** d[j] ← p[j] + d[j]·s for every j (d and p of one length), in wasm memory, then back into d. */
export const wasmAddScaledFlat = (d: Float64Array, p: Float64Array, s: number): void => {
  if (wasm === undefined) throw new Error('wasmAddScaledFlat: WebAssembly SIMD is not available');
  const dAt = align(8 * p.length);
  const heap = heapOf(wasm, dAt + 8 * d.length);
  heap.set(p, 0);
  heap.set(d, dAt / 8);
  wasm.addScaled(0, dAt, d.length, s);
  d.set(heap.subarray(dAt / 8, dAt / 8 + d.length));
};
