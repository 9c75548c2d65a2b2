import { alloc, type Matrix } from '../matrix.js';
import { gemmWasmBase64 } from './gemm-module.js';

/**
 * The wasm gemm (gemm.wat) behind the same three products as the JS kernels in ../matmul.ts. Each
 * call copies its operands into the module's memory, runs, and copies the result out into a fresh
 * matrix, so inputs are never written and results are ordinary ml-matrix values. One memory is
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
  ) => void;
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
  isMemory(Reflect.get(x, 'memory')) && typeof Reflect.get(x, 'gemm') === 'function';

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

/** Copies `rows` (each of `width` f64) into `heap` from f64 index `at`, one after another. */
const copyIn = (heap: Float64Array, at: number, rows: readonly Float64Array[], width: number) => {
  for (let r = 0; r < rows.length; r++) heap.set(rows[r]!, at + r * width);
};

/**
 * X · B as a fresh m×n matrix, where X is m×k given by the rows of `A` or, when `transposed`, by
 * its columns (k rows of width m); B is k×n, from the rows of `B` or, when `bTransposed`, from
 * the columns of `B` (n rows of width k).
 */
export const wasmProduct = (
  m: number,
  k: number,
  n: number,
  A: readonly Float64Array[],
  transposed: boolean,
  B: readonly Float64Array[],
  bTransposed: boolean,
): Matrix => {
  const module = wasm;
  if (module === undefined) throw new Error('wasmProduct: WebAssembly SIMD is not available');
  const mask = 0;
  const idx = align(k);
  const coef = idx + align(4 * k);
  const a = coef + align(8 * k);
  const b = a + 8 * m * k;
  const out = b + 8 * k * n;
  const heap = heapOf(module, out + 8 * m * n);
  copyIn(heap, a / 8, A, transposed ? m : k);
  if (bTransposed) {
    const at = b / 8;
    for (let j = 0; j < n; j++) {
      const row = B[j]!;
      for (let p = 0; p < k; p++) heap[at + p * n + j] = row[p]!;
    }
  } else copyIn(heap, b / 8, B, n);
  if (transposed) module.gemm(m, k, n, a, 8, 8 * m, b, out, mask, idx, coef);
  else module.gemm(m, k, n, a, 8 * k, 8, b, out, mask, idx, coef);
  const [result, rows] = alloc(m, n);
  const first = rows[0];
  if (first !== undefined) {
    new Float64Array(first.buffer, first.byteOffset, m * n).set(
      heap.subarray(out / 8, out / 8 + m * n),
    );
  }
  return result;
};
