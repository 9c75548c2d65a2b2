import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import {
  arbEntries,
  avgPool2d,
  col2im,
  concatCols,
  conv2d,
  convGeometry,
  geometryArgs,
  grad,
  hvp,
  im2col,
  log,
  Matrix,
  maximum,
  maxPool2d,
  mul,
  poolGeometry,
  pow,
  reshape,
  scalar,
  sliceCols,
  sqrt,
  square,
  sum,
  type Tensor,
  tanh,
  toFlat,
  transposeChunks,
  type WindowGeometry,
  where,
} from './imports.js';
import { distinctEntries, geometries } from './spatial-cases.js';

const m = (r: number, c: number, vs: number[]) => Matrix.from1DArray(r, c, vs);
const range = (r: number, c: number) =>
  m(
    r,
    c,
    Array.from({ length: r * c }, (_, i) => i + 1),
  );

/** Cross-correlation by its definition, one output entry at a time. */
const naiveConv = (x: Matrix, w: Matrix, g: WindowGeometry): Matrix => {
  const filters = w.columns;
  const out = new Matrix(x.rows, filters * g.outHeight * g.outWidth);
  for (let n = 0; n < x.rows; n++)
    for (let f = 0; f < filters; f++)
      for (let oy = 0; oy < g.outHeight; oy++)
        for (let ox = 0; ox < g.outWidth; ox++) {
          let s = 0;
          for (let c = 0; c < g.channels; c++)
            for (let ky = 0; ky < g.kernelH; ky++)
              for (let kx = 0; kx < g.kernelW; kx++) {
                const y = oy * g.stride - g.padTop + ky;
                const xx = ox * g.stride - g.padLeft + kx;
                if (y < 0 || y >= g.height || xx < 0 || xx >= g.width) continue;
                s +=
                  x.get(n, (c * g.height + y) * g.width + xx) *
                  w.get((c * g.kernelH + ky) * g.kernelW + kx, f);
              }
          out.set(n, (f * g.outHeight + oy) * g.outWidth + ox, s);
        }
  return out;
};

/** A pooling by its definition: `reduce` over the in-image entries of each window. */
const naivePool = (x: Matrix, g: WindowGeometry, reduce: (vs: number[]) => number): Matrix => {
  const out = new Matrix(x.rows, g.channels * g.outHeight * g.outWidth);
  for (let n = 0; n < x.rows; n++)
    for (let c = 0; c < g.channels; c++)
      for (let oy = 0; oy < g.outHeight; oy++)
        for (let ox = 0; ox < g.outWidth; ox++) {
          const vs: number[] = [];
          for (let ky = 0; ky < g.kernelH; ky++)
            for (let kx = 0; kx < g.kernelW; kx++)
              vs.push(x.get(n, (c * g.height + oy * g.stride + ky) * g.width + ox * g.stride + kx));
          out.set(n, (c * g.outHeight + oy) * g.outWidth + ox, reduce(vs));
        }
  return out;
};

describe('convolution', () => {
  it.each([
    [[1, 28, 28], { kernel: 5, padding: 'same' }, [2, 2, 28, 28]],
    [[8, 14, 14], { kernel: 5 }, [0, 0, 10, 10]],
    [[1, 5, 6], { kernel: 2, padding: 'same' }, [0, 0, 5, 6]],
    [[1, 5, 5], { kernel: 3, stride: 2, padding: 'same' }, [1, 1, 3, 3]],
    [[1, 6, 6], { kernel: 2, stride: 2, padding: 'same' }, [0, 0, 3, 3]],
    [[1, 7, 7], { kernel: 3, stride: 2 }, [0, 0, 3, 3]],
  ] as const)('convGeometry(%j, %j) pads and sizes like TensorFlow', (input, options, expected) => {
    const g = convGeometry(input, options);
    expect([g.padTop, g.padLeft, g.outHeight, g.outWidth]).toEqual(expected);
  });

  describe.each(geometries)('%s', (_label, g) => {
    test.prop([
      fc
        .integer({ min: 1, max: 3 })
        .chain((n) =>
          fc.tuple(
            arbEntries(n, g.channels * g.height * g.width),
            arbEntries(g.channels * g.kernelH * g.kernelW, 3),
          ),
        ),
    ])('conv2d equals the definition of cross-correlation', ([x, w]) => {
      expect(conv2d(x, w, g)).toBeAllclose(naiveConv(x, w, g), { rtol: 1e-12, atol: 1e-12 });
    });

    test.prop([
      fc
        .integer({ min: 1, max: 3 })
        .chain((n) =>
          fc.tuple(
            arbEntries(n, g.channels * g.height * g.width),
            arbEntries(g.channels * g.kernelH * g.kernelW, n * g.outHeight * g.outWidth),
          ),
        ),
    ])('col2im is the adjoint of im2col: ⟨im2col(x), p⟩ = ⟨x, col2im(p)⟩', ([x, p]) => {
      const left = scalar(sum(mul(im2col(x, ...geometryArgs(g)), p)));
      const right = scalar(sum(mul(x, col2im(p, ...geometryArgs(g)))));
      expect(left).toBeAllclose(right, { rtol: 1e-12, atol: 1e-12 });
    });
  });

  it('adds the bias to every position of its filter', () => {
    const g = convGeometry([1, 3, 3], { kernel: 2 });
    const x = range(1, 9);
    const w = m(4, 2, [1, 0, 0, 0, 0, 0, 0, 1]);
    // filter 0 reads the window's top-left, filter 1 its bottom-right
    expect(conv2d(x, w, g, m(1, 2, [10, 100]))).toBeAllclose(
      m(1, 8, [11, 12, 14, 15, 105, 106, 108, 109]),
    );
  });
});

describe('pooling', () => {
  const g = poolGeometry([2, 4, 6], { window: 2 });

  test.prop([fc.integer({ min: 1, max: 3 }).chain((n) => arbEntries(n, 48))])(
    'maxPool2d and avgPool2d equal the window maximum and mean',
    (x) => {
      expect(maxPool2d(x, g)).toBeAllclose(
        naivePool(x, g, (vs) => Math.max(...vs)),
        { rtol: 0 },
      );
      const mean = (vs: number[]) => vs.reduce((a, b) => a + b, 0) / vs.length;
      expect(avgPool2d(x, g)).toBeAllclose(naivePool(x, g, mean), { rtol: 1e-14, atol: 1e-15 });
    },
  );

  it('sends the gradient to the first maximum of each window', () => {
    const flat = poolGeometry([1, 2, 4], { window: 2 });
    // window 0 holds 5 twice (positions 0 and 5), window 1 is all 7s
    const x = m(1, 8, [5, 1, 7, 7, 2, 5, 7, 7]);
    expect(maxPool2d(x, flat)).toBeAllclose(m(1, 2, [5, 7]));
    expect(grad((p: Tensor) => sum(mul(maxPool2d(p, flat), m(1, 2, [3, 4]))))(x)).toBeAllclose(
      m(1, 8, [3, 0, 4, 0, 0, 0, 0, 0]),
    );
  });

  it('drops the partial windows at the edge', () => {
    const odd = poolGeometry([1, 5, 5], { window: 2 });
    expect([odd.outHeight, odd.outWidth]).toEqual([2, 2]);
  });
});

describe('selection', () => {
  it('where: a NaN computed in the branch not taken reaches neither the value nor the gradient', () => {
    const x = m(1, 4, [-1, -4, 4, 9]);
    const mask = m(1, 4, [0, 0, 1, 1]);
    const f = (p: Tensor) => sum(where(mask, log(p), 0));
    expect(f(x)).toBeAllclose(m(1, 1, [Math.log(4) + Math.log(9)]));
    const g = grad(f)(x);
    expect(Array.from(toFlat(g)).every(Number.isFinite)).toBe(true);
    expect(g).toBeAllclose(m(1, 4, [0, 0, 1 / 4, 1 / 9]), { rtol: 1e-14 });
  });

  it('where selects the cotangent, so an ∞ cotangent of the other branch gives 0, not NaN', () => {
    const mask = m(1, 3, [1, 0, 1]);
    // sqrt′(0) = ∞ at entry 1, which comes from q: p's cotangent there is exactly 0
    const f = (p: Tensor) => sum(sqrt(where(mask, p, m(1, 3, [1, 0, 1]))));
    expect(grad(f)(m(1, 3, [4, 4, 9]))).toBeAllclose(m(1, 3, [1 / 4, 0, 1 / 6]), { rtol: 1e-14 });
  });

  it("where: a branch that is singular at the unused inputs takes where's safe input (JAX's double where)", () => {
    const x = m(1, 4, [0, -1, 1, 4]);
    const mask = m(1, 4, [0, 0, 1, 1]);
    const f = (p: Tensor) => sum(where(mask, sqrt(where(mask, p, 1)), 0));
    expect(grad(f)(x)).toBeAllclose(m(1, 4, [0, 0, 1 / 2, 1 / 4]), { rtol: 1e-14 });
  });

  it('where broadcasts a row, a column and numbers to the mask', () => {
    const mask = m(2, 2, [1, 0, 0, 1]);
    expect(where(mask, m(1, 2, [1, 2]), m(2, 1, [3, 4]))).toBeAllclose(m(2, 2, [1, 3, 4, 2]));
    expect(where(mask, 7, -7)).toBeAllclose(m(2, 2, [7, -7, -7, 7]));
  });

  it('maximum gives a tie to its first input', () => {
    const a = m(1, 3, [1, 2, 3]);
    const b = m(1, 3, [3, 2, 1]);
    expect(maximum(a, b)).toBeAllclose(m(1, 3, [3, 2, 3]));
    expect(grad((p: Tensor) => sum(maximum(p, b)))(a)).toBeAllclose(m(1, 3, [0, 1, 1]));
    expect(grad((p: Tensor) => sum(maximum(a, p)))(b)).toBeAllclose(m(1, 3, [1, 0, 0]));
  });

  it('pow: a number base and exponent', () => {
    expect(pow(m(1, 3, [4, 9, 2]), 0.5)).toBeAllclose(m(1, 3, [2, 3, Math.SQRT2]));
    expect(grad((y: Tensor) => sum(pow(2, y)))(m(1, 2, [0, 3]))).toBeAllclose(
      m(1, 2, [Math.LN2, 8 * Math.LN2]),
      { rtol: 1e-14 },
    );
  });
});

describe('shape ops', () => {
  it('reshape reads and writes in row-major order', () => {
    expect(reshape(range(2, 3), 3, 2)).toBeAllclose(range(3, 2));
    expect(reshape(range(2, 3), 1, 6)).toBeAllclose(range(1, 6));
  });

  it('sliceCols and concatCols undo each other', () => {
    const x = range(2, 5);
    expect(sliceCols(x, 1, 3)).toBeAllclose(m(2, 2, [2, 3, 7, 8]));
    expect(concatCols(sliceCols(x, 0, 2), sliceCols(x, 2, 5))).toBeAllclose(x);
  });

  it('transposeChunks turns channel rows of (sample, position) into sample rows of (channel, position)', () => {
    // 2 channels × (2 samples × 3 positions) → 2 samples × (2 channels × 3 positions)
    expect(transposeChunks(m(2, 6, [1, 2, 3, 4, 5, 6, 10, 20, 30, 40, 50, 60]), 2)).toBeAllclose(
      m(2, 6, [1, 2, 3, 10, 20, 30, 4, 5, 6, 40, 50, 60]),
    );
  });
});

describe('second order: Hessian-vector products match central differences of the gradient', () => {
  const g = convGeometry([2, 4, 3], { kernel: 2, padding: 'same' });
  const pool = poolGeometry([2, 4, 3], { window: 2 });
  const weights = m(
    8,
    2,
    [0.3, -0.2, 0.1, 0.5, -0.4, 0.2, 0.6, -0.1, 0.2, 0.3, -0.5, 0.1, 0.4, 0.2, -0.3, 0.7],
  );
  // Inputs in (0, 1]: with 1..48, tanh saturates and its third derivative (~x³) makes the central
  // difference's own error exceed the tolerance.
  const unitImages = m(
    2,
    24,
    range(2, 24)
      .to1DArray()
      .map((a) => a / 48),
  );
  const cases: [string, (p: Tensor) => Tensor, fc.Arbitrary<Matrix>][] = [
    ['conv2d', (p) => sum(tanh(conv2d(p, weights, g))), arbEntries(2, 24)],
    [
      'conv2d in its filters',
      (p) => sum(tanh(conv2d(unitImages, p, g))),
      arbEntries(8, 2, { min: -0.1, max: 0.1 }),
    ],
    ['maxPool2d', (p) => sum(square(maxPool2d(p, pool))), distinctEntries(2, 24)],
    ['avgPool2d', (p) => sum(tanh(avgPool2d(p, pool))), arbEntries(2, 24)],
    ['pow', (p) => sum(pow(p, p)), arbEntries(2, 3, { min: 0.5, max: 2 })],
    [
      'maximum',
      (p) => sum(square(maximum(p, 0.05))),
      arbEntries(2, 3, { awayFrom: [0.05], margin: 0.01 }),
    ],
    ['where', (p) => sum(where(m(2, 3, [1, 0, 1, 0, 1, 0]), square(p), tanh(p))), arbEntries(2, 3)],
    [
      'reshape, sliceCols, concatCols',
      (p) => sum(square(concatCols(sliceCols(reshape(p, 3, 2), 1, 2), tanh(reshape(p, 3, 2))))),
      arbEntries(2, 3),
    ],
  ];

  describe.each(cases)('%s', (_name, f, inputs) => {
    test.prop([inputs.chain((x) => fc.tuple(fc.constant(x), arbEntries(x.rows, x.columns)))], {
      numRuns: 10,
    })('hvp', ([x, v]) => {
      const eps = 1e-5;
      const shifted = (s: number) =>
        grad(f)(
          m(
            x.rows,
            x.columns,
            x.to1DArray().map((a, i) => a + s * eps * v.to1DArray()[i]!),
          ),
        );
      const [up, down] = [shifted(1).to1DArray(), shifted(-1).to1DArray()];
      const numeric = m(
        x.rows,
        x.columns,
        up.map((a, i) => (a - down[i]!) / (2 * eps)),
      );
      expect(hvp(f)(x, v)).toBeAllclose(numeric, { rtol: 1e-5, atol: 1e-7 });
    });
  });
});

describe('errors name the op and the shapes', () => {
  const z = (r: number, c: number) => new Matrix(r, c);
  const g = convGeometry([1, 4, 4], { kernel: 3 });
  it.each([
    ['reshape', () => reshape(z(2, 3), 4, 2), /^reshape: cannot reshape 2x3 to 4x2$/],
    [
      'sliceCols',
      () => sliceCols(z(2, 3), 1, 4),
      /^sliceCols: columns \[1, 4\) are out of range for 2x3$/,
    ],
    [
      'sliceCols empty',
      () => sliceCols(z(2, 3), 2, 2),
      /^sliceCols: end must be an integer ≥ 3, got 2$/,
    ],
    [
      'concatCols',
      () => concatCols(z(2, 3), z(3, 3)),
      /^concatCols: cannot concatenate 2x3 with 3x3/,
    ],
    [
      'transposeChunks',
      () => transposeChunks(z(2, 6), 4),
      /^transposeChunks: the 6 columns of 2x6 do not split into 4 chunks$/,
    ],
    ['maximum', () => maximum(z(2, 3), z(3, 2)), /^maximum: cannot broadcast 2x3 with 3x2$/],
    ['pow', () => pow(z(2, 3), z(2, 2)), /^pow: cannot broadcast 2x3 with 2x2$/],
    ['where', () => where(z(1, 3), z(2, 3), 0), /^where: a is 2x3 but the mask is 1x3$/],
    [
      'im2col',
      () => im2col(z(2, 15), ...geometryArgs(g)),
      /^im2col: input is 2x15, expected 16 columns \(1x4x4 per sample\)$/,
    ],
    [
      'col2im',
      () => col2im(z(3, 9), ...geometryArgs(g)),
      /^col2im: patches are 3x9, expected 9 rows and a multiple of 4 columns$/,
    ],
    [
      'conv2d',
      () => conv2d(z(2, 16), z(8, 4), g),
      /^conv2d: filters are 8x4, expected 9 rows \(1x3x3\)$/,
    ],
    [
      'maxPool2d',
      () => maxPool2d(z(2, 15), g),
      /^maxPoolGather: input is 2x15, expected 16 columns/,
    ],
    [
      'kernel too large',
      () => convGeometry([1, 4, 4], { kernel: 5 }),
      /^conv2d: outHeight must be an integer ≥ 1, got 0$/,
    ],
    [
      'padding',
      () => convGeometry([1, 4, 4], { kernel: 3, padding: 'full' as 'same' }),
      /^conv2d: padding must be 'same' or 'valid', got "full"$/,
    ],
    [
      'stride',
      () => convGeometry([1, 4, 4], { kernel: 3, stride: 0 }),
      /^conv2d: stride must be an integer ≥ 1, got 0$/,
    ],
  ])('%s', (_name, call, message) => {
    expect(call).toThrow(message);
  });
});
