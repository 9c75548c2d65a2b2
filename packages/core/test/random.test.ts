import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { fromFlat, toFlat } from '../src/matrix.js';
import {
  foldIn,
  type Key,
  key,
  keyData,
  keyFromData,
  normal,
  permutation,
  randomInts,
  split,
  threefry2x32,
  uniform,
} from '../src/random.js';

const mean = (xs: ArrayLike<number>): number => {
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += xs[i]!;
  return s / xs.length;
};

const std = (xs: ArrayLike<number>): number => {
  const m = mean(xs);
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += (xs[i]! - m) ** 2;
  return Math.sqrt(s / (xs.length - 1));
};

const correlation = (xs: ArrayLike<number>, ys: ArrayLike<number>): number => {
  const mx = mean(xs);
  const my = mean(ys);
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < xs.length; i++) {
    const dx = xs[i]! - mx;
    const dy = ys[i]! - my;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  return sxy / Math.sqrt(sxx * syy);
};

/** Kolmogorov–Smirnov statistic D = sup |F_n − F| of a sample against the CDF `cdf`. */
const ksStatistic = (xs: ArrayLike<number>, cdf: (x: number) => number): number => {
  const sorted = Float64Array.from(xs).sort();
  const n = sorted.length;
  let d = 0;
  for (let i = 0; i < n; i++) {
    const f = cdf(sorted[i]!);
    d = Math.max(d, (i + 1) / n - f, f - i / n);
  }
  return d;
};

/** erf by Abramowitz & Stegun 7.1.26 (|error| < 1.5e-7, far below the KS tolerance). */
const erf = (x: number): number => {
  const s = Math.sign(x);
  const a = Math.abs(x);
  const t = 1 / (1 + 0.3275911 * a);
  const poly =
    t *
    (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  return s * (1 - poly * Math.exp(-a * a));
};
const normalCdf = (x: number): number => 0.5 * (1 + erf(x / Math.SQRT2));
const uniformCdf = (x: number): number => Math.min(1, Math.max(0, x));

const chiSquare = (counts: ArrayLike<number>, expected: number): number => {
  let c = 0;
  for (let i = 0; i < counts.length; i++) c += (counts[i]! - expected) ** 2 / expected;
  return c;
};

// With 100k samples, D's 99.9% critical value is about 1.95/√n ≈ 0.0062; 0.01 is p ≈ 1e-8.
const KS_TOLERANCE = 0.01;
const N = 100_000;

describe('threefry2x32', () => {
  // Random123's kat_vectors, "threefry2x32 20 ctr0 ctr1 key0 key1 out0 out1".
  it.each([
    [
      [0, 0],
      [0, 0],
      [0x6b200159, 0x99ba4efe],
    ],
    [
      [0xffffffff, 0xffffffff],
      [0xffffffff, 0xffffffff],
      [0x1cb996fc, 0xbb002be7],
    ],
    [
      [0x243f6a88, 0x85a308d3],
      [0x13198a2e, 0x03707344],
      [0xc4923a9c, 0x483df7a0],
    ],
  ] as const)('matches the Random123 known answer for counter %j, key %j', (ctr, k, expected) => {
    expect(threefry2x32(k, ctr)).toEqual(expected);
  });

  it('rejects words that are not uint32', () => {
    expect(() => threefry2x32([0, 2 ** 32], [0, 0])).toThrow(
      'threefry2x32: words must be uint32 integers, got 4294967296',
    );
  });
});

describe('key, split, foldIn', () => {
  it("builds a seed's 64-bit two's complement words, like JAX's PRNGKey", () => {
    expect(keyData(key(0))).toEqual([0, 0]);
    expect(keyData(key(42))).toEqual([0, 42]);
    expect(keyData(key(2 ** 32 + 5))).toEqual([1, 5]);
    expect(keyData(key(-1))).toEqual([0xffffffff, 0xffffffff]);
    expect(keyData(key(-(2 ** 53) + 1))).toEqual([2 ** 32 - 2 ** 21, 1]);
  });

  it('makes immutable keys', () => {
    const k = key(1);
    expect(Object.isFrozen(k)).toBe(true);
    expect(() => {
      (k as { hi: number }).hi = 3;
    }).toThrow(TypeError);
  });

  it("matches JAX's split of key(0) (jax_threefry_partitionable, JAX's default since 0.5)", () => {
    // Published outputs of jax.random.split(jax.random.key(0), n); the legacy (non-partitionable)
    // split's [[4146024105, 967050713], [2718843009, 1272950319]] shares the block at counter 2.
    expect(split(key(0), 4).map(keyData)).toEqual([
      [1797259609, 2579123966],
      [928981903, 3453687069],
      [4146024105, 2718843009],
      [2467461003, 3840466878],
    ]);
  });

  it('splits into distinct keys, distinct from the parent, with n = 2 by default', () => {
    const parent = key(0);
    const keys = split(parent, 1000);
    const ids = new Set([parent, ...keys].map((k) => keyData(k).join(',')));
    expect(ids.size).toBe(1001);
    expect(split(parent)).toEqual(keys.slice(0, 2));
    expect(split(parent, 1)).toEqual(keys.slice(0, 1));
  });

  it('makes split(k, n)[i] equal foldIn(k, i), as JAX does', () => {
    const k = key(9);
    expect(split(k, 5)).toEqual([0, 1, 2, 3, 4].map((i) => foldIn(k, i)));
  });

  test.prop([fc.integer({ min: 0, max: 2 ** 32 - 1 }), fc.integer({ min: 0, max: 2 ** 32 - 1 })], {
    numRuns: 50,
  })('foldIn is deterministic and injective in data', (a, b) => {
    fc.pre(a !== b);
    const k = key(17);
    expect(foldIn(k, a)).toEqual(foldIn(k, a));
    expect(foldIn(k, a)).not.toEqual(foldIn(k, b));
  });

  it('foldIn tells negative data from large positive data', () => {
    const k = key(3);
    expect(foldIn(k, -1)).not.toEqual(foldIn(k, 2 ** 32 - 1));
    expect(foldIn(k, 0)).not.toEqual(k);
  });
});

describe('keyData / keyFromData', () => {
  const word = fc.integer({ min: 0, max: 2 ** 32 - 1 });

  test.prop([word, word])('round-trips through keyData and JSON', (hi, lo) => {
    const k = keyFromData([hi, lo]);
    expect(keyData(k)).toEqual([hi, lo]);
    expect(keyFromData(JSON.parse(JSON.stringify(keyData(k))))).toEqual(k);
    expect(keyFromData(JSON.parse(JSON.stringify(k)))).toEqual(k);
    expect(Object.isFrozen(keyFromData([hi, lo]))).toBe(true);
  });

  it.each([
    [[1, 2, 3]],
    [[1]],
    [[-1, 0]],
    [[0, 2 ** 32]],
    [[0.5, 1]],
    [['1', 2]],
    [{ hi: 1 }],
    [{ hi: 1, lo: 2, extra: 3 }],
    [null],
    [42],
    ['0,0'],
  ])('rejects %j with a clear error', (data) => {
    expect(() => keyFromData(data)).toThrow(
      /^keyFromData: expected \[hi, lo\] or \{hi, lo\} with two uint32 integers \(0 <= x < 2\^32\), got /,
    );
  });

  it('names the bad value', () => {
    expect(() => keyFromData([0, -3])).toThrow('got [0,-3]');
    expect(() => keyFromData(undefined)).toThrow('got undefined');
  });
});

describe('determinism', () => {
  it('gives bit-identical output for the same key', () => {
    const k = key(123);
    expect(toFlat(uniform(k, 7, 9))).toEqual(toFlat(uniform(k, 7, 9)));
    expect(toFlat(normal(k, 7, 9))).toEqual(toFlat(normal(k, 7, 9)));
    expect(permutation(k, 50)).toEqual(permutation(k, 50));
    expect(randomInts(k, 50, 7)).toEqual(randomInts(k, 50, 7));
    expect(split(k, 3)).toEqual(split(k, 3));
  });

  it('depends on the flat index only, not on the shape', () => {
    const k = key(5);
    expect(toFlat(uniform(k, 2, 3))).toEqual(toFlat(uniform(k, 1, 6)));
    expect(toFlat(normal(k, 2, 3))).toEqual(toFlat(normal(k, 3, 2)));
    expect(toFlat(normal(k, 1, 5))).toEqual(toFlat(normal(k, 1, 6)).subarray(0, 5));
  });

  it('scales normal by std and shifts it by mean', () => {
    const k = key(8);
    const z = toFlat(normal(k, 4, 5));
    const expected = fromFlat(
      4,
      5,
      z.map((v) => 3 + 0.1 * v),
    );
    expect(normal(k, 4, 5, 0.1, 3)).toBeAllclose(expected, { rtol: 1e-15, atol: 1e-15 });
  });

  // Regression pins: values this implementation produced once. They catch accidental changes of
  // the algorithm (counter layout, bit extraction, Box–Muller pairing, rejection loop); change them
  // only together with a deliberate change of the generator, since checkpoints store keys.
  it('reproduces pinned values', () => {
    expect(keyData(foldIn(key(1), 3))).toEqual([3568232559, 2761185182]);
    expect(split(key(1)).map(keyData)).toEqual([
      [507451445, 1853169794],
      [1948878966, 4237131848],
    ]);
    expect(toFlat(uniform(key(42), 1, 3))).toEqual(
      Float64Array.of(0.42672756361231334, 0.015010071389100932, 0.5741444160004048),
    );
    expect(toFlat(normal(key(42), 1, 3))).toEqual(
      Float64Array.of(1.0501999655001142, 0.09934017635052127, -0.1652405082310161),
    );
    expect(permutation(key(7), 10)).toEqual(Int32Array.of(2, 9, 8, 4, 0, 6, 1, 7, 5, 3));
    expect(randomInts(key(7), 5, 100)).toEqual(Int32Array.of(23, 20, 67, 31, 9));
  });
});

describe('independence', () => {
  // For n = 20 000 independent streams, a sample correlation has sd 1/√n ≈ 0.007.
  const n = 20_000;
  const tol = 0.04;

  it('gives uncorrelated streams to split keys, the parent and folded-in keys', () => {
    const parent = key(2024);
    const [a, b] = split(parent) as [Key, Key];
    const streams = [parent, a, b, foldIn(parent, 1000), foldIn(a, 0)].map((k) =>
      toFlat(uniform(k, 1, n)),
    );
    for (let i = 0; i < streams.length; i++) {
      for (let j = i + 1; j < streams.length; j++) {
        expect(Math.abs(correlation(streams[i]!, streams[j]!))).toBeLessThan(tol);
      }
    }
  });

  it('has no lag-1 correlation within a stream', () => {
    const u = toFlat(uniform(key(31), 1, n + 1));
    expect(Math.abs(correlation(u.subarray(0, n), u.subarray(1)))).toBeLessThan(tol);
    const z = toFlat(normal(key(31), 1, n + 1));
    // Box–Muller partners (2j, 2j+1) are independent too: cos and sin of the same angle.
    expect(Math.abs(correlation(z.subarray(0, n), z.subarray(1)))).toBeLessThan(tol);
  });
});

describe('uniform', () => {
  it('is uniform on [0, 1) by Kolmogorov–Smirnov, with mean 1/2 and variance 1/12', () => {
    const u = toFlat(uniform(key(1), 200, N / 200));
    expect(Math.min(...u)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...u)).toBeLessThan(1);
    expect(ksStatistic(u, uniformCdf)).toBeLessThan(KS_TOLERANCE);
    expect(Math.abs(mean(u) - 0.5)).toBeLessThan(0.005);
    expect(Math.abs(std(u) - Math.sqrt(1 / 12))).toBeLessThan(0.003);
  });

  it('the KS check has the power to reject a non-uniform sample', () => {
    const u = toFlat(uniform(key(1), 1, N)).map((v) => v ** 1.05);
    expect(ksStatistic(u, uniformCdf)).toBeGreaterThan(KS_TOLERANCE);
  });

  it('uses 53 independent bits: a multiple of 2^-53 whose low 26 bits are their own uniform', () => {
    const u = toFlat(uniform(key(4), 1, 20_000));
    expect(u.every((v) => Number.isInteger(v * 2 ** 53))).toBe(true);
    const high = Array.from(u, (v) => Math.floor(v * 2 ** 27));
    const low = Array.from(u, (v) => (v * 2 ** 53) % 2 ** 26);
    expect(new Set(low.map((x) => x % 2))).toEqual(new Set([0, 1]));
    expect(Math.abs(mean(low) / 2 ** 26 - 0.5)).toBeLessThan(0.02);
    expect(Math.abs(correlation(high, low))).toBeLessThan(0.04);
  });

  test.prop(
    [
      fc.double({ min: -1e6, max: 1e6, noNaN: true }),
      fc.double({ min: -1e6, max: 1e6, noNaN: true }),
      fc.integer({ min: 0, max: 2 ** 32 - 1 }),
    ],
    { numRuns: 100 },
  )('stays in [low, high)', (x, y, seed) => {
    fc.pre(x !== y);
    const [low, high] = x < y ? [x, y] : [y, x];
    for (const v of toFlat(uniform(key(seed), 4, 5, low, high))) {
      expect(v).toBeGreaterThanOrEqual(low);
      expect(v).toBeLessThan(high);
    }
  });

  it('never returns high, even when rounding lands on it', () => {
    const high = 1 + 2 ** -52;
    const u = toFlat(uniform(key(6), 10, 10, 1, high));
    expect(u.every((v) => v === 1)).toBe(true);
  });

  it('handles empty shapes', () => {
    expect(uniform(key(0), 0, 5).rows).toBe(0);
    expect(uniform(key(0), 3, 0).columns).toBe(0);
  });
});

describe('normal', () => {
  const z = toFlat(normal(key(11), 100, N / 100));
  const fraction = (k: number): number => z.filter((v) => Math.abs(v) < k).length / z.length;

  it('has mean 0 and std 1 over 100k samples', () => {
    // sd of the mean ≈ 0.0032 and of the std ≈ 0.0022: these are 6σ and 7σ bounds.
    expect(Math.abs(mean(z))).toBeLessThan(0.02);
    expect(Math.abs(std(z) - 1)).toBeLessThan(0.015);
  });

  it('puts 68.3% within 1σ and 95.4% within 2σ', () => {
    expect(Math.abs(fraction(1) - 0.682689)).toBeLessThan(0.01);
    expect(Math.abs(fraction(2) - 0.9545)).toBeLessThan(0.006);
  });

  it('is normal by Kolmogorov–Smirnov', () => {
    expect(ksStatistic(z, normalCdf)).toBeLessThan(KS_TOLERANCE);
  });

  it('the checks have the power to reject a non-normal sample with mean 0 and std 1', () => {
    // A uniform on [−√3, √3] has the right moments but the wrong shape.
    const fake = toFlat(uniform(key(11), 1, N, -Math.sqrt(3), Math.sqrt(3)));
    expect(ksStatistic(fake, normalCdf)).toBeGreaterThan(KS_TOLERANCE);
    expect(Math.abs(fake.filter((v) => Math.abs(v) < 1).length / N - 0.682689)).toBeGreaterThan(
      0.01,
    );
  });

  it('honours std and mean', () => {
    const w = toFlat(normal(key(12), 1, 20_000, 0.1, -3));
    expect(Math.abs(mean(w) + 3)).toBeLessThan(0.005);
    expect(Math.abs(std(w) - 0.1)).toBeLessThan(0.005);
    expect(toFlat(normal(key(12), 2, 2, 0, 7))).toEqual(Float64Array.of(7, 7, 7, 7));
  });
});

describe('permutation', () => {
  it.each([0, 1, 2, 17, 1000])('permutes 0..%i-1', (n) => {
    const p = permutation(key(n), n);
    expect(p).toBeInstanceOf(Int32Array);
    expect(Array.from(p).sort((a, b) => a - b)).toEqual(Array.from({ length: n }, (_, i) => i));
  });

  it('puts every value at every position equally often (chi-square)', () => {
    // 20 000 permutations of 8: 64 cells expecting 2 500 each; the statistic has about
    // (8 − 1)² = 49 degrees of freedom (mean 49, sd ≈ 10), so 110 is p ≈ 1e-6.
    const n = 8;
    const trials = 20_000;
    const counts = new Float64Array(n * n);
    const keys = split(key(99), trials);
    for (const k of keys) {
      const p = permutation(k, n);
      for (let pos = 0; pos < n; pos++) counts[p[pos]! * n + pos]! += 1;
    }
    expect(chiSquare(counts, trials / n)).toBeLessThan(110);
  });

  it('differs between keys', () => {
    const [a, b] = split(key(0)) as [Key, Key];
    expect(permutation(a, 100)).not.toEqual(permutation(b, 100));
  });
});

describe('randomInts', () => {
  it('stays in range and is roughly uniform (chi-square)', () => {
    const m = 10;
    const xs = randomInts(key(21), N, m);
    expect(xs).toBeInstanceOf(Int32Array);
    expect(xs.every((x) => Number.isInteger(x) && x >= 0 && x < m)).toBe(true);
    const counts = new Float64Array(m);
    for (const x of xs) counts[x]! += 1;
    // 9 degrees of freedom: 40 is p ≈ 5e-6.
    expect(chiSquare(counts, N / m)).toBeLessThan(40);
  });

  it('has no modulo bias for a bound near 2^32', () => {
    // With bound 3·2^29, plain `word % bound` hits [0, 2^30) with probability 3/4; unbiased is 2/3.
    const bound = 3 * 2 ** 29;
    const xs = randomInts(key(22), 20_000, bound);
    expect(xs.every((x) => x >= 0 && x < bound)).toBe(true);
    const low = xs.filter((x) => x < 2 ** 30).length / xs.length;
    expect(Math.abs(low - 2 / 3)).toBeLessThan(0.02);
  });

  it('covers the full range up to 2^31', () => {
    const xs = randomInts(key(23), 1000, 2 ** 31);
    expect(xs.every((x) => x >= 0)).toBe(true);
    expect(Math.max(...xs)).toBeGreaterThan(2 ** 30);
    expect(randomInts(key(23), 5, 1)).toEqual(new Int32Array(5));
    expect(randomInts(key(23), 0, 5)).toEqual(new Int32Array(0));
  });
});

describe('input validation', () => {
  const k = key(0);
  it.each([
    ['key', () => key(1.5), 'key: seed must be a safe integer, got 1.5'],
    ['key', () => key(Number.NaN), 'key: seed must be a safe integer, got NaN'],
    ['key', () => key(2 ** 53), 'key: seed must be a safe integer, got 9007199254740992'],
    ['split', () => split(k, 0), 'split: n must be a positive integer, got 0'],
    ['split', () => split(k, 2.5), 'split: n must be a positive integer, got 2.5'],
    ['foldIn', () => foldIn(k, 0.5), 'foldIn: data must be a safe integer, got 0.5'],
    ['uniform', () => uniform(k, -1, 2), 'uniform: rows must be a non-negative integer, got -1'],
    ['uniform', () => uniform(k, 2, 1.5), 'uniform: cols must be a non-negative integer, got 1.5'],
    [
      'uniform',
      () => uniform(k, 2, 2, 1, 1),
      'uniform: expected finite low < high with a finite span, got low 1, high 1',
    ],
    [
      'uniform',
      () => uniform(k, 2, 2, -Number.MAX_VALUE, Number.MAX_VALUE),
      'uniform: expected finite low < high with a finite span',
    ],
    [
      'normal',
      () => normal(k, 2, Number.NaN),
      'normal: cols must be a non-negative integer, got NaN',
    ],
    [
      'normal',
      () => normal(k, 2, 2, -1),
      'normal: expected finite std >= 0 and finite mean, got std -1, mean 0',
    ],
    [
      'normal',
      () => normal(k, 2, 2, 1, Number.POSITIVE_INFINITY),
      'normal: expected finite std >= 0 and finite mean, got std 1, mean Infinity',
    ],
    [
      'permutation',
      () => permutation(k, -1),
      'permutation: n must be a non-negative integer, got -1',
    ],
    ['permutation', () => permutation(k, 2 ** 31 + 1), 'permutation: n must be at most 2^31'],
    [
      'randomInts',
      () => randomInts(k, 1.5, 3),
      'randomInts: n must be a non-negative integer, got 1.5',
    ],
    [
      'randomInts',
      () => randomInts(k, 3, 0),
      'randomInts: maxExclusive must be an integer in [1, 2^31], got 0',
    ],
    [
      'randomInts',
      () => randomInts(k, 3, 2 ** 31 + 1),
      'randomInts: maxExclusive must be an integer in [1, 2^31], got 2147483649',
    ],
  ])('%s: %s', (_name, thunk, message) => {
    expect(thunk).toThrow(message);
  });

  it('rejects something that is not a key, naming the function', () => {
    const bad = { hi: 1.5, lo: 0 } as Key;
    expect(() => split(bad)).toThrow(
      'split: expected a key {hi, lo} of two uint32 integers, got {"hi":1.5,"lo":0}',
    );
    expect(() => uniform(bad, 1, 1)).toThrow(/^uniform: expected a key/);
    // @ts-expect-error: null is no key, as an untyped caller may pass
    expect(() => normal(null, 1, 1)).toThrow(/^normal: expected a key.*got null$/);
    expect(() => foldIn(bad, 1)).toThrow(/^foldIn: expected a key/);
    expect(() => permutation(bad, 3)).toThrow(/^permutation: expected a key/);
    expect(() => randomInts(bad, 3, 3)).toThrow(/^randomInts: expected a key/);
    expect(() => keyData(bad)).toThrow(/^keyData: expected a key/);
  });
});
