import { readFileSync } from 'node:fs';
import { fc, test } from '@fast-check/vitest';
import { Matrix } from 'ml-matrix';
import { describe, expect, it } from 'vitest';
import { assemble, modulePath, moduleSource } from '../scripts/build-wasm.js';
import {
  addScaledInto,
  gatherBytes,
  jsAddScaledInto,
  jsGatherBytes,
  jsRelu,
  relu,
  wasmAddScaledInto,
  wasmGatherBytes,
  wasmRelu,
} from '../src/kernels.js';
import {
  jsAbsColumnSums,
  jsGemm,
  kernelPath,
  selectKernels,
  wasmAbsColumnSums,
  wasmGemm,
} from '../src/matmul.js';
import { fromFlat } from '../src/matrix.js';
import { add } from '../src/primitives/arithmetic.js';
import { matmul } from '../src/primitives/linalg.js';

/**
 * Every entry exactly: the shortest round-trip decimal of each double, with -0 kept apart from 0.
 * NaN payloads are not compared: JS does not expose them, and V8's own tiers differ on them.
 */
const exact = (m: Matrix): string =>
  m
    .to2DArray()
    .flat()
    .map((x) => (Object.is(x, -0) ? '-0' : String(x)))
    .join(',');

/** Finite doubles of mixed magnitude, many exact zeros of both signs, and a few ±Inf and NaN. */
const entry = (special: boolean) =>
  fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(0, -0) },
    { weight: 4, arbitrary: fc.double({ min: -1e3, max: 1e3, noNaN: true }) },
    { weight: special ? 1 : 0, arbitrary: fc.constantFrom(Infinity, -Infinity, Number.NaN) },
  );
const matrix = (rows: number, cols: number, special: boolean) =>
  fc
    .array(entry(special), { minLength: rows * cols, maxLength: rows * cols })
    .map((flat) => Matrix.from1DArray(rows, cols, flat));

/** The same entries in one flat buffer (how the library's own matrices are stored). */
const contiguous = (m: Matrix): Matrix => fromFlat(m.rows, m.columns, m.to1DArray());

/** Shapes 0..max with every remainder mod 4 (the unroll of both kernels); a: m×k, b: k×n. */
const shapes = (max: number) => fc.tuple(fc.nat(max), fc.nat(max), fc.nat(max));

type Shape = [aRows: number, aCols: number, bRows: number, bCols: number];

const kinds = [
  { kind: 'NN', shape: (m: number, k: number, n: number): Shape => [m, k, k, n] },
  { kind: 'TN', shape: (m: number, k: number, n: number): Shape => [k, m, k, n] },
  { kind: 'NT', shape: (m: number, k: number, n: number): Shape => [m, k, n, k] },
] as const;

describe.runIf(wasmGemm !== undefined)('wasm gemm', () => {
  it('is the default kernel path unless DIFFTAPE_KERNELS says otherwise', () => {
    expect(kernelPath).toBe(process.env.DIFFTAPE_KERNELS === 'js' ? 'js' : 'wasm');
  });

  describe.each(kinds)('matmul$kind', ({ kind, shape }) => {
    const js = jsGemm[`matmul${kind}`];
    const wasm = wasmGemm![`matmul${kind}`];
    const operands = (max: number, special: boolean) =>
      shapes(max).chain(([m, k, n]) => {
        const [ar, ac, br, bc] = shape(m, k, n);
        return fc.tuple(matrix(ar, ac, special), matrix(br, bc, special));
      });

    test.prop([operands(12, true)], { numRuns: 200 })(
      'is bit-identical to the JS kernel with zeros, ±0, NaN and ±Inf, inputs untouched',
      ([a, b]) => {
        const before = [exact(a), exact(b)];
        const got = wasm(a, b);
        expect([exact(a), exact(b)]).toEqual(before);
        expect(exact(got)).toBe(exact(js(a, b)));
      },
    );

    test.prop([operands(70, false)], { numRuns: 25 })(
      'is bit-identical to the JS kernel on larger sparse shapes',
      ([a, b]) => {
        expect(exact(wasm(a, b))).toBe(exact(js(a, b)));
      },
    );
  });

  describe('dense', () => {
    const operands = (max: number, special: boolean) =>
      shapes(max).chain(([m, k, n]) =>
        fc.tuple(
          matrix(m, k, special).map(contiguous),
          matrix(k, n, special),
          matrix(1, n, special).map(contiguous),
        ),
      );

    test.prop([operands(12, true)], { numRuns: 200 })(
      'is bit-identical to the JS kernel and to add(matmul(x, W), b), inputs untouched',
      ([x, W, b]) => {
        const before = [exact(x), exact(W), exact(b)];
        const got = exact(wasmGemm!.dense(x, W, b));
        expect([exact(x), exact(W), exact(b)]).toEqual(before);
        expect(got).toBe(exact(jsGemm.dense(x, W, b)));
        expect(got).toBe(exact(add(matmul(x, W), b)));
      },
    );

    it('rejects a bias that is not one row of W.columns, naming all three shapes', () => {
      const x = new Matrix(2, 3);
      const W = new Matrix(3, 4);
      for (const gemm of [jsGemm, wasmGemm!])
        expect(() => gemm.dense(x, W, new Matrix(2, 4))).toThrow(
          /^dense: x is 2x3, W is 3x4, b is 2x4; expected x\.columns === W\.rows and b 1x\(W\.columns\)$/,
        );
    });
  });

  it('serves calls of growing size from one memory without stale results', () => {
    const small = Matrix.from1DArray(2, 2, [1, 2, 3, 4]);
    const large = new Matrix(600, 300).fill(0.5);
    const ones = new Matrix(300, 200).fill(1);
    expect(wasmGemm!.matmulNN(small, small).to2DArray()).toEqual([
      [7, 10],
      [15, 22],
    ]);
    expect(wasmGemm!.matmulNN(large, ones).get(599, 199)).toBe(150);
    expect(wasmGemm!.matmulNN(small, small).to2DArray()).toEqual([
      [7, 10],
      [15, 22],
    ]);
  });

  it('the committed module is exactly what gemm.wat assembles to', async () => {
    expect(readFileSync(modulePath, 'utf8')).toBe(moduleSource(await assemble()));
  });
});

describe('DIFFTAPE_KERNELS', () => {
  it('selects js or wasm and rejects anything else, naming the variable', () => {
    expect(selectKernels('js')[0]).toBe('js');
    expect(selectKernels(undefined)[0]).toBe(wasmGemm ? 'wasm' : 'js');
    expect(() => selectKernels('gpu')).toThrow(
      /DIFFTAPE_KERNELS must be 'js' or 'wasm', got 'gpu'/,
    );
  });
});

describe.runIf(wasmAbsColumnSums !== undefined)('wasm absColumnSums', () => {
  const sums = (xs: Float64Array) => exact(Matrix.from1DArray(1, xs.length, Array.from(xs)));

  test.prop([shapes(12).chain(([k, n]) => matrix(k, n, true))], { numRuns: 200 })(
    'is bit-identical to the JS loop and to Σ|w| column by column, with ±0, NaN and ±Inf',
    (w) => {
      const before = exact(w);
      const got = sums(wasmAbsColumnSums!(w));
      expect(exact(w)).toBe(before);
      expect(got).toBe(sums(jsAbsColumnSums(w)));
      const naive = Float64Array.from({ length: w.columns }, (_, j) =>
        w.getColumn(j).reduce((s, v) => s + Math.abs(v), 0),
      );
      expect(got).toBe(sums(naive));
    },
  );
});

describe.runIf(wasmGemm !== undefined)('wasm relu', () => {
  it('keeps NaN, turns −0 and negatives (−Inf among them) into +0', () => {
    const x = fromFlat(1, 7, [-0, 0, -1.5, 2, Number.NaN, -Infinity, Infinity]);
    expect(exact(wasmRelu(x))).toBe('0,0,0,2,NaN,0,Infinity');
  });

  test.prop([shapes(12).chain(([m, n]) => matrix(m, n, true))], { numRuns: 200 })(
    'is bit-identical to the JS loop, with ±0, NaN and ±Inf, and leaves its input alone',
    (x) => {
      const flat = contiguous(x);
      const before = exact(flat);
      const got = exact(wasmRelu(flat));
      expect(exact(flat)).toBe(before);
      expect(got).toBe(exact(jsRelu(flat)));
    },
  );

  it('is the relu kernel on the wasm path', () => {
    expect(relu).toBe(kernelPath === 'wasm' ? wasmRelu : jsRelu);
  });
});

describe.runIf(wasmGemm !== undefined)('wasm gatherBytes', () => {
  const table = Float64Array.from({ length: 256 }, (_, p) => (p === 7 ? -0 : p / 255));
  const cases = fc
    .tuple(fc.uint8Array({ minLength: 1, maxLength: 300 }), fc.nat(20))
    .chain(([bytes, width]) =>
      fc.tuple(
        fc.constant(bytes),
        fc.constant(Math.min(width, bytes.length)),
        fc.array(fc.nat(bytes.length - Math.min(width, bytes.length)), { maxLength: 12 }),
      ),
    );

  test.prop([cases], { numRuns: 200 })(
    'gives the JS loop’s matrix: row r is table[bytes[starts[r] + j]]; the bytes stay as they were',
    ([bytes, width, starts]) => {
      const copy = bytes.slice();
      const got = wasmGatherBytes(bytes, starts, width, table);
      expect(bytes).toEqual(copy);
      expect([got.rows, got.columns]).toEqual([starts.length, width]);
      expect(exact(got)).toBe(exact(jsGatherBytes(bytes, starts, width, table)));
      const naive = starts.flatMap((s) =>
        Array.from(bytes.subarray(s, s + width), (p) => table[p]!),
      );
      expect(exact(got)).toBe(naive.map((x) => (Object.is(x, -0) ? '-0' : String(x))).join(','));
    },
  );

  it('is the gatherBytes kernel on the wasm path', () => {
    expect(gatherBytes).toBe(kernelPath === 'wasm' ? wasmGatherBytes : jsGatherBytes);
  });
});

describe.runIf(wasmGemm !== undefined)('wasm addScaledInto', () => {
  const flat = (xs: Float64Array): string =>
    Array.from(xs, (x) => (Object.is(x, -0) ? '-0' : String(x))).join(',');
  const cases = fc
    .nat(300)
    .chain((n) =>
      fc.tuple(
        fc.array(entry(true), { minLength: n, maxLength: n }),
        fc.array(entry(true), { minLength: n, maxLength: n }),
        entry(true),
      ),
    );

  test.prop([cases], { numRuns: 200 })(
    'writes p + d·s into d, bit-identical to the JS loop and to the naive sum, p untouched',
    ([p, d, s]) => {
      const ps = Float64Array.from(p);
      const viaWasm = Float64Array.from(d);
      const viaJs = Float64Array.from(d);
      wasmAddScaledInto(viaWasm, ps, s);
      jsAddScaledInto(viaJs, ps, s);
      expect(flat(ps)).toBe(flat(Float64Array.from(p)));
      expect(flat(viaWasm)).toBe(flat(viaJs));
      expect(flat(viaWasm)).toBe(flat(Float64Array.from(d, (x, j) => p[j]! + x * s)));
    },
  );

  it('rejects arrays of different lengths, naming the kernel and both lengths', () => {
    for (const kernel of [jsAddScaledInto, wasmAddScaledInto])
      expect(() => kernel(new Float64Array(3), new Float64Array(4), 1)).toThrow(
        /^addScaledInto: d has 3 entries but p has 4$/,
      );
  });

  it('is the addScaledInto kernel on the wasm path', () => {
    expect(addScaledInto).toBe(kernelPath === 'wasm' ? wasmAddScaledInto : jsAddScaledInto);
  });
});
