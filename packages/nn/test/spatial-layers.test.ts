import {
  add,
  checkGrad,
  conv2d,
  convGeometry,
  div,
  filled,
  grad,
  hvp,
  key,
  Matrix,
  mul,
  normal,
  rawOf,
  sub,
  sum,
  type Tensor,
  tanh,
  toFlat,
  treeFlatten,
} from '@difftape/core';
import { arbEntries } from '@difftape/core/testing';
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import {
  type AnyLayer,
  type ApplyContext,
  AvgPool2d,
  Conv2d,
  Dense,
  Dropout,
  decodeModelSpec,
  Flatten,
  LayerNorm,
  MaxPool2d,
  modelFromSpec,
  Relu,
  Serial,
  type Shape,
  sizeOf,
  specParamShapes,
  WithInput,
} from '../src/index.js';

/** Distinct entries (at least 0.05 apart), so that no max-pooling window has a tie within ε. */
const distinct = (rows: number, cols: number) =>
  fc
    .shuffledSubarray(
      Array.from({ length: rows * cols }, (_, i) => (i - (rows * cols) / 2) * 0.05),
      { minLength: rows * cols, maxLength: rows * cols },
    )
    .map((vs) => Matrix.from1DArray(rows, cols, vs));

/**
 * One line per layer: the layer, the shape of a sample it takes, how to draw inputs, and the rest
 * of its apply context (training with a fixed key: dropout's mask is then a constant of the key).
 */
const cases: readonly [
  string,
  AnyLayer,
  Shape,
  (n: number) => fc.Arbitrary<Matrix>,
  ApplyContext?,
][] = [
  ['Conv2d valid', Conv2d(2, { kernel: 2 }), [2, 3, 4], (n) => arbEntries(n, 24)],
  [
    'Conv2d same stride 2',
    Conv2d(3, { kernel: 3, stride: 2, padding: 'same' }),
    [1, 5, 4],
    (n) => arbEntries(n, 20),
  ],
  ['MaxPool2d', MaxPool2d(2), [2, 4, 4], (n) => distinct(n, 32)],
  ['AvgPool2d stride 1', AvgPool2d(2, { stride: 1 }), [1, 3, 3], (n) => arbEntries(n, 9)],
  ['Flatten', Flatten, [2, 2, 2], (n) => arbEntries(n, 8)],
  ['LayerNorm', LayerNorm(), [2, 3], (n) => arbEntries(n, 6)],
  ['Dropout (evaluation)', Dropout(0.5), [5], (n) => arbEntries(n, 5)],
  ['Dropout (training)', Dropout(0.5), [6], (n) => arbEntries(n, 6), { train: true, key: key(5) }],
];

/** A 1 × 1 function of the layer's output with a non-trivial cotangent everywhere. */
const scored = (layer: AnyLayer, context: ApplyContext) => (params: unknown, x: Tensor) => {
  const y = layer.apply(params, x, context);
  const weights = normal(key(7), y.rows, y.columns);
  return sum(tanh(mul(y, weights)));
};

describe.each(cases)('%s', (_name, layer, shape, inputs, rest = {}) => {
  const [params, out] = layer.init(key(1), shape);
  const context = { shape, ...rest };
  const f = scored(layer, context);

  test.prop([fc.integer({ min: 1, max: 2 }).chain(inputs)], { numRuns: 15 })(
    'its output shape is what init says, and its gradient in x matches central differences',
    (x) => {
      const y = rawOf(layer.apply(params, x, context));
      expect([y.rows, y.columns]).toEqual([x.rows, sizeOf(out)]);
      const report = checkGrad((p: Tensor) => f(params, p), x, { rtol: 1e-5, atol: 1e-7 });
      expect(report.ok, report.message).toBe(true);
    },
  );

  test.prop([fc.integer({ min: 1, max: 2 }).chain(inputs)], { numRuns: 10 })(
    'its gradient in the parameters matches central differences',
    (x) => {
      const report = checkGrad((p: unknown) => f(p, x), params, { rtol: 1e-5, atol: 1e-7 });
      expect(report.ok, report.message).toBe(true);
    },
  );

  test.prop([fc.integer({ min: 1, max: 2 }).chain(inputs)], { numRuns: 10 })(
    'is pure: its inputs and parameters are unchanged, the same call gives the same bits',
    (x) => {
      const before = toFlat(x);
      const leaves = treeFlatten(params).leaves.map(toFlat);
      const a = toFlat(rawOf(layer.apply(params, x, context)));
      grad((p: Tensor) => f(params, p))(x);
      expect(toFlat(x)).toEqual(before);
      expect(treeFlatten(params).leaves.map(toFlat)).toEqual(leaves);
      expect(toFlat(rawOf(layer.apply(params, x, context)))).toEqual(a);
    },
  );

  test.prop(
    [
      fc
        .integer({ min: 1, max: 2 })
        .chain(inputs)
        .chain((x) => fc.tuple(fc.constant(x), arbEntries(x.rows, x.columns))),
    ],
    { numRuns: 5 },
  )(
    'second order: its Hessian-vector product in x matches differences of the gradient',
    ([x, v]) => {
      const g = (p: Tensor) => f(params, p);
      // A row's std can be as small as √1e-5 (LayerNorm's eps), where the curvature grows as
      // 1/std³: a step of 1e-5 left 1e-5 of truncation error there (seed 834353529); 1e-6 does not.
      const eps = 1e-6;
      const shifted = (s: number): Matrix => rawOf(grad(g)(rawOf(add(x, mul(v, s * eps)))));
      const numeric = rawOf(div(sub(shifted(1), shifted(-1)), 2 * eps));
      expect(hvp(g)(x, v)).toBeAllclose(numeric, { rtol: 1e-5, atol: 1e-7 });
    },
  );
});

describe('Conv2d', () => {
  it('makes (C·k·k) × F filters and a 1 × F bias, and equals core conv2d', () => {
    const layer = Conv2d(4, { kernel: 3, padding: 'same' });
    const [p, out] = layer.init(key(0), [2, 5, 6]);
    expect(out).toEqual([4, 5, 6]);
    expect([p.W.rows, p.W.columns, p.b.rows, p.b.columns]).toEqual([18, 4, 1, 4]);
    const x = normal(key(2), 3, 60);
    const g = convGeometry([2, 5, 6], { kernel: 3, padding: 'same' });
    expect(layer.apply(p, x, { shape: [2, 5, 6] })).toBeAllclose(rawOf(conv2d(x, p.W, g, p.b)), {
      rtol: 0,
      atol: 0,
    });
  });

  it('names itself and the shape it got when it cannot take an input', () => {
    const layer = Conv2d(8, { kernel: 5 });
    expect(() => layer.init(key(0), [784])).toThrow(
      /^Conv2d\(8, 5x5\): needs images of shape \[C, H, W\], got samples of shape \[784\]/,
    );
    expect(() => layer.init(key(0), [1, 4, 4])).toThrow(
      'Conv2d(8, 5x5): a 5x5 window does not fit 4x4 images',
    );
    expect(() => Conv2d(0, { kernel: 3 })).toThrow('filters: expected a positive integer, got 0');
  });
});

describe('Dropout', () => {
  const x = filled(40, 50, 1);
  const layer = Dropout(0.25);

  it('is the identity in evaluation and at rate 0', () => {
    expect(layer.apply({}, x)).toBe(x);
    expect(layer.apply({}, x, { train: false, key: key(1) })).toBe(x);
    expect(Dropout(0).apply({}, x, { train: true, key: key(1) })).toBe(x);
  });

  it('in training zeroes about `rate` of the entries and scales the rest by 1 / (1 − rate)', () => {
    const y = toFlat(rawOf(layer.apply({}, x, { train: true, key: key(1) })));
    const zeros = y.filter((v) => v === 0).length / y.length;
    expect(zeros).toBeGreaterThan(0.2);
    expect(zeros).toBeLessThan(0.3);
    expect(y.every((v) => v === 0 || v === 1 / 0.75)).toBe(true);
  });

  it('draws its mask from the key: the same key, the same mask; another key, another', () => {
    const at = (k: number) => toFlat(rawOf(layer.apply({}, x, { train: true, key: key(k) })));
    expect(at(3)).toEqual(at(3));
    expect(at(3)).not.toEqual(at(4));
  });

  it('refuses to train without a key, and a rate outside [0, 1)', () => {
    expect(() => layer.apply({}, x, { train: true })).toThrow(/needs a PRNG key/);
    expect(() => Dropout(1)).toThrow('Dropout(1): rate: expected a rate in [0, 1), got 1');
  });

  it('its gradient is the mask: the dropped entries get none', () => {
    const ctx = { train: true, key: key(5) };
    const mask = rawOf(layer.apply({}, x, ctx));
    const g = grad((p: Tensor) => sum(layer.apply({}, p, ctx)))(normal(key(6), 40, 50));
    expect(g).toBeAllclose(mask, { rtol: 0, atol: 0 });
  });
});

describe('LayerNorm', () => {
  it('gives each sample mean 0 and variance 1 before its scale and bias', () => {
    const layer = LayerNorm();
    const [p] = layer.init(key(0), [2, 3]);
    const y = toFlat(rawOf(layer.apply(p, normal(key(1), 1, 6, 3, 5))));
    const mean = y.reduce((a, b) => a + b, 0) / 6;
    const variance = y.reduce((a, b) => a + (b - mean) ** 2, 0) / 6;
    expect(mean).toBeCloseTo(0, 12);
    expect(variance).toBeCloseTo(1, 4);
  });
});

describe('Serial and WithInput thread the sample shape', () => {
  const model = Serial(Conv2d(2, { kernel: 3 }), Relu, MaxPool2d(2), Flatten, Dense(3));

  it('init takes the image shape; apply needs it, from the context or from WithInput', () => {
    const [params, out] = model.init(key(0), [1, 6, 6]);
    expect(out).toEqual([3]);
    const x = normal(key(1), 2, 36);
    const y = rawOf(model.apply(params, x, { shape: [1, 6, 6] }));
    expect(rawOf(WithInput([1, 6, 6], model).apply(params, x))).toBeAllclose(y, { atol: 0 });
    expect(() => model.apply(params, x)).toThrow(
      /^Serial: layer 0 \(Conv2d\(2, 3x3\)\): Conv2d\(2, 3x3\): needs images of shape \[C, H, W\], got samples of shape \[36\]/,
    );
  });

  it('WithInput takes its own shape or any of the same size, and refuses another', () => {
    const bound = WithInput([1, 6, 6], model);
    expect(bound.init(key(0), [36])[1]).toEqual([3]);
    expect(() => bound.init(key(0), [35])).toThrow(
      /takes samples of shape 1x6x6 \(36 values\), got 35/,
    );
  });

  it('splits the context key among its layers: two dropouts draw independent masks', () => {
    const twice = Serial(Dropout(0.5), Dropout(0.5));
    const y = toFlat(
      rawOf(twice.apply([{}, {}], filled(1, 4000, 1), { train: true, key: key(9) })),
    );
    // one shared mask would drop half the entries; two independent ones drop three quarters
    const dropped = y.filter((v) => v === 0).length / y.length;
    expect(dropped).toBeGreaterThan(0.7);
    expect(dropped).toBeLessThan(0.8);
  });
});

describe('modelFromSpec with image layers', () => {
  const spec = {
    input: [1, 8, 8],
    layers: [
      { conv2d: { filters: 3, kernel: 3, padding: 'same' } },
      'relu',
      { maxPool2d: 2 },
      { avgPool2d: 2 },
      'flatten',
      { layerNorm: {} },
      { dropout: 0.1 },
      { dense: 4 },
    ],
  };

  it('builds the layers, bound to the input shape, with the parameter shapes specParamShapes says', () => {
    const model = modelFromSpec(spec);
    const [params, out] = model.init(key(0), [1, 8, 8]);
    expect(out).toEqual([4]);
    const shapes = (params as Record<string, Matrix>[]).map((p) =>
      Object.fromEntries(Object.entries(p).map(([k, m]) => [k, [m.rows, m.columns]])),
    );
    expect(specParamShapes(modelSpec(spec), [64])).toEqual(shapes);
    expect(shapes[0]).toEqual({ W: [9, 3], b: [1, 3] });
    expect(shapes[5]).toEqual({ scale: [1, 12], bias: [1, 12] });
    const y = rawOf(model.apply(params, normal(key(1), 2, 64)));
    expect([y.rows, y.columns]).toEqual([2, 4]);
  });

  it('takes the input shape from the caller when the spec has none', () => {
    const { input: _, ...bare } = spec;
    expect(modelFromSpec(bare, { input: [1, 8, 8] }).init(key(0), [64])[1]).toEqual([4]);
  });

  it('names the layer index and the shapes when the layers do not fit', () => {
    expect(() =>
      modelFromSpec({
        input: [1, 8, 8],
        layers: ['flatten', { conv2d: { filters: 2, kernel: 3 } }],
      }),
    ).toThrow(
      /^modelFromSpec: Serial: layer 1 \(Conv2d\(2, 3x3\)\): Conv2d\(2, 3x3\): needs images of shape \[C, H, W\], got samples of shape \[64\]/,
    );
    expect(() =>
      modelFromSpec({
        input: [1, 8, 8],
        layers: [{ maxPool2d: 4 }, { conv2d: { filters: 2, kernel: 3 } }],
      }),
    ).toThrow(
      'modelFromSpec: Serial: layer 1 (Conv2d(2, 3x3)): Conv2d(2, 3x3): a 3x3 window does not fit 2x2 images',
    );
  });
});

const modelSpec = (json: unknown) => {
  const decoded = decodeModelSpec(json);
  if (decoded._tag === 'Left') throw new Error(decoded.left.join('\n'));
  return decoded.right;
};
