import { showValue } from './describe.js';
import { alloc, type Matrix } from './matrix.js';

/**
 * A pure, splittable PRNG in the style of JAX's keys, on Threefry-2x32 with 20 rounds (Random123).
 *
 * A key is two uint32 words. Every draw is a pure function of (key, counter): element i of a
 * sample encrypts the 64-bit counter i under the key, exactly like JAX's threefry with
 * `jax_threefry_partitionable` (its default since 0.5), so `split(k, n)[i]` and `foldIn(k, i)`
 * are the same key, as in JAX. Use a key once: either draw from it or split it, never both.
 */

/** A PRNG key: two uint32 words, immutable and JSON-serialisable (`{"hi":0,"lo":42}`). */
export type Key = { readonly hi: number; readonly lo: number };

const TWO_32 = 4294967296;
const TWO_NEG_53 = 2 ** -53;
const TWO_PI = 2 * Math.PI;
const MAX_INT32_BOUND = 2 ** 31;

// Threefry-2x32 rotation constants (Random123, from Skein): even groups of four rounds use the
// first four, odd groups the last four.
const ROTATIONS = Uint8Array.of(13, 15, 26, 6, 17, 29, 16, 24);

const rotl = (x: number, r: number): number => (x << r) | (x >>> (32 - r));

/** One Threefry-2x32-20 block into `out`; all arithmetic is uint32 (sums < 2^34 are exact). */
const block = (k0: number, k1: number, c0: number, c1: number, out: Uint32Array): void => {
  const k2 = (k0 ^ k1 ^ 0x1bd11bda) >>> 0;
  let x0 = (c0 + k0) >>> 0;
  let x1 = (c1 + k1) >>> 0;
  // Injection g + 1 adds key words (g + 1) mod 3 and (g + 2) mod 3, and g + 1 to the second word.
  let a = k1;
  let b = k2;
  let c = k0;
  for (let g = 0; g < 5; g++) {
    const base = (g & 1) * 4;
    for (let r = 0; r < 4; r++) {
      x0 = (x0 + x1) >>> 0;
      x1 = (rotl(x1, ROTATIONS[base + r]!) ^ x0) >>> 0;
    }
    x0 = (x0 + a) >>> 0;
    x1 = (x1 + b + g + 1) >>> 0;
    const t = a;
    a = b;
    b = c;
    c = t;
  }
  out[0] = x0;
  out[1] = x1;
};

/** The Threefry-2x32-20 block function (Random123): encrypts `counter` under `key`, all uint32. */
export const threefry2x32 = (
  key: readonly [number, number],
  counter: readonly [number, number],
): [number, number] => {
  for (const w of [...key, ...counter]) {
    if (!isUint32(w)) throw new RangeError(`threefry2x32: words must be uint32 integers, got ${w}`);
  }
  const out = new Uint32Array(2);
  block(key[0], key[1], counter[0], counter[1], out);
  return [out[0]!, out[1]!];
};

const isUint32 = (x: unknown): x is number =>
  typeof x === 'number' && Number.isInteger(x) && x >= 0 && x < TWO_32;

const makeKey = (hi: number, lo: number): Key => Object.freeze({ hi, lo });

/** The 64-bit two's complement words (hi, lo) of a safe integer, as JAX's `threefry_seed`. */
const words = (n: number): [number, number] => [Math.floor(n / TWO_32) >>> 0, n >>> 0];

const checkKey = (fn: string, k: Key): void => {
  if (typeof k !== 'object' || k === null || !isUint32(k.hi) || !isUint32(k.lo)) {
    throw new TypeError(
      `${fn}: expected a key {hi, lo} of two uint32 integers, got ${showValue(k)}`,
    );
  }
};

const checkCount = (fn: string, name: string, v: number): void => {
  if (!Number.isSafeInteger(v) || v < 0) {
    throw new RangeError(`${fn}: ${name} must be a non-negative integer, got ${v}`);
  }
};

/** A key from a seed: any safe integer, negatives as their 64-bit two's complement (JAX's rule). */
export const key = (seed: number): Key => {
  if (!Number.isSafeInteger(seed))
    throw new RangeError(`key: seed must be a safe integer, got ${seed}`);
  const [hi, lo] = words(seed);
  return makeKey(hi, lo);
};

/**
 * A tuple of n `T`s for a literal n up to 16 (`TupleOf<Key, 2>` is `[Key, Key]`); `T[]` when n is
 * just `number`, larger, or not a whole number (the bound keeps the type checker's recursion short).
 */
export type TupleOf<T, N extends number, Acc extends T[] = []> = number extends N
  ? T[]
  : Acc['length'] extends N
    ? Acc
    : Acc['length'] extends 16
      ? T[]
      : TupleOf<T, N, [...Acc, T]>;

/**
 * `n` new keys from `k`: key i encrypts the counter i (JAX's fold-like split), so prefixes agree.
 * For a literal n the result is an n-tuple, so `const [a, b] = split(k, 2)` gives two `Key`s.
 */
export const split = <N extends number = 2>(k: Key, n: N = 2 as N): TupleOf<Key, N> => {
  checkKey('split', k);
  if (!Number.isSafeInteger(n) || n < 1) {
    throw new RangeError(`split: n must be a positive integer, got ${n}`);
  }
  const out = new Uint32Array(2);
  const keys: Key[] = new Array(n);
  for (let i = 0; i < n; i++) {
    block(k.hi, k.lo, Math.floor(i / TWO_32), i >>> 0, out);
    keys[i] = makeKey(out[0]!, out[1]!);
  }
  // The loop above fills exactly n keys: the tuple type only says so.
  return keys as TupleOf<Key, N>;
};

/** A key derived from `k` and a safe integer (e.g. the epoch); injective in `data`. */
export const foldIn = (k: Key, data: number): Key => {
  checkKey('foldIn', k);
  if (!Number.isSafeInteger(data)) {
    throw new RangeError(`foldIn: data must be a safe integer, got ${data}`);
  }
  const [c0, c1] = words(data);
  const out = new Uint32Array(2);
  block(k.hi, k.lo, c0, c1, out);
  return makeKey(out[0]!, out[1]!);
};

/** The key's two words `[hi, lo]`, for checkpoints. */
export const keyData = (k: Key): [number, number] => {
  checkKey('keyData', k);
  return [k.hi, k.lo];
};

/** A key from `[hi, lo]` (as `keyData` gives) or `{hi, lo}` (as JSON.stringify gives), validated. */
export const keyFromData = (data: unknown): Key => {
  if (Array.isArray(data) && data.length === 2 && isUint32(data[0]) && isUint32(data[1])) {
    return makeKey(data[0], data[1]);
  }
  if (typeof data === 'object' && data !== null && !Array.isArray(data)) {
    const { hi, lo } = data as { hi?: unknown; lo?: unknown };
    if (isUint32(hi) && isUint32(lo) && Object.keys(data).length === 2) return makeKey(hi, lo);
  }
  throw new TypeError(
    `keyFromData: expected [hi, lo] or {hi, lo} with two uint32 integers (0 <= x < 2^32), got ${showValue(data)}`,
  );
};

/** Fills `dst` with doubles in [0, 1): element i takes 53 bits from the block of counter i. */
const unitDoubles = (k: Key, dst: Float64Array): void => {
  const out = new Uint32Array(2);
  for (let i = 0; i < dst.length; i++) {
    block(k.hi, k.lo, Math.floor(i / TWO_32), i >>> 0, out);
    // 27 high bits of word 0 and 26 of word 1 make an exact 53-bit integer, scaled by 2^-53.
    dst[i] = ((out[0]! >>> 5) * 67108864 + (out[1]! >>> 6)) * TWO_NEG_53;
  }
};

/** The largest double below a finite `x`. */
const nextDown = (x: number): number => {
  if (x === 0) return -Number.MIN_VALUE;
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  const bits = view.getBigUint64(0);
  view.setBigUint64(0, x > 0 ? bits - 1n : bits + 1n);
  return view.getFloat64(0);
};

const checkShape = (fn: string, rows: number, cols: number): void => {
  checkCount(fn, 'rows', rows);
  checkCount(fn, 'cols', cols);
};

/** Writes a flat row-major sample into a fresh rows × cols matrix. */
const toMatrix = (rows: number, cols: number, flat: Float64Array): Matrix => {
  const [m, out] = alloc(rows, cols);
  for (let i = 0; i < rows; i++) out[i]!.set(flat.subarray(i * cols, (i + 1) * cols));
  return m;
};

/** A rows × cols matrix of float64 uniform on [low, high); element i depends only on (k, i). */
export const uniform = (k: Key, rows: number, cols: number, low = 0, high = 1): Matrix => {
  checkKey('uniform', k);
  checkShape('uniform', rows, cols);
  if (
    !Number.isFinite(low) ||
    !Number.isFinite(high) ||
    !(low < high) ||
    !Number.isFinite(high - low)
  ) {
    throw new RangeError(
      `uniform: expected finite low < high with a finite span, got low ${low}, high ${high}`,
    );
  }
  const flat = new Float64Array(rows * cols);
  unitDoubles(k, flat);
  const span = high - low;
  const top = nextDown(high);
  for (let i = 0; i < flat.length; i++) {
    // Rounding can land exactly on `high`; clamp to keep the interval half-open.
    const v = low + span * flat[i]!;
    flat[i] = v < high ? v : top;
  }
  return toMatrix(rows, cols, flat);
};

/** A rows × cols matrix of N(mean, std²) by Box–Muller; elements 2j, 2j+1 share a pair of uniforms. */
export const normal = (k: Key, rows: number, cols: number, std = 1, mean = 0): Matrix => {
  checkKey('normal', k);
  checkShape('normal', rows, cols);
  if (!Number.isFinite(std) || std < 0 || !Number.isFinite(mean)) {
    throw new RangeError(
      `normal: expected finite std >= 0 and finite mean, got std ${std}, mean ${mean}`,
    );
  }
  const n = rows * cols;
  const u = new Float64Array(n + (n % 2));
  unitDoubles(k, u);
  const flat = new Float64Array(n);
  for (let j = 0; j < n; j += 2) {
    // 1 - u is in (0, 1], so the log is finite; fdlibm-derived Math functions are reproducible.
    const r = Math.sqrt(-2 * Math.log(1 - u[j]!));
    const theta = TWO_PI * u[j + 1]!;
    flat[j] = mean + std * r * Math.cos(theta);
    if (j + 1 < n) flat[j + 1] = mean + std * r * Math.sin(theta);
  }
  return toMatrix(rows, cols, flat);
};

/** A stream of uint32 words: both words of block 0, then of block 1, and so on. */
const wordStream = (k: Key): (() => number) => {
  const out = new Uint32Array(2);
  let counter = 0;
  let spare = false;
  return () => {
    if (spare) {
      spare = false;
      return out[1]!;
    }
    block(k.hi, k.lo, Math.floor(counter / TWO_32), counter >>> 0, out);
    counter++;
    spare = true;
    return out[0]!;
  };
};

/** An unbiased integer in [0, bound) for 1 <= bound <= 2^32, by rejecting the short last bucket. */
const below = (next: () => number, bound: number): number => {
  const limit = TWO_32 - (TWO_32 % bound);
  let w = next();
  while (w >= limit) w = next();
  return w % bound;
};

/** A uniformly random permutation of 0..n-1 (Fisher–Yates on unbiased draws). */
export const permutation = (k: Key, n: number): Int32Array => {
  checkKey('permutation', k);
  checkCount('permutation', 'n', n);
  if (n > MAX_INT32_BOUND) {
    throw new RangeError(`permutation: n must be at most 2^31, got ${n}`);
  }
  const perm = new Int32Array(n);
  for (let i = 0; i < n; i++) perm[i] = i;
  const next = wordStream(k);
  for (let i = n - 1; i > 0; i--) {
    const j = below(next, i + 1);
    const t = perm[i]!;
    perm[i] = perm[j]!;
    perm[j] = t;
  }
  return perm;
};

/** `n` independent integers uniform on [0, maxExclusive), unbiased; 1 <= maxExclusive <= 2^31. */
export const randomInts = (k: Key, n: number, maxExclusive: number): Int32Array => {
  checkKey('randomInts', k);
  checkCount('randomInts', 'n', n);
  if (!Number.isSafeInteger(maxExclusive) || maxExclusive < 1 || maxExclusive > MAX_INT32_BOUND) {
    throw new RangeError(
      `randomInts: maxExclusive must be an integer in [1, 2^31], got ${maxExclusive}`,
    );
  }
  const out = new Int32Array(n);
  const next = wordStream(k);
  for (let i = 0; i < n; i++) out[i] = below(next, maxExclusive);
  return out;
};
