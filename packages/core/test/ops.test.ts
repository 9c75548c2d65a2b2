import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import {
  abs,
  add,
  arbEntries,
  arbMatrix,
  checkGrad,
  dense,
  div,
  exp,
  foldIn,
  grad,
  jvp,
  type Key,
  key,
  log,
  logSoftmax,
  logSumExp,
  Matrix,
  matmul,
  matmulNT,
  matmulTN,
  mean,
  mul,
  neg,
  normal,
  type PrimitiveName,
  primitives,
  relu,
  scalar,
  sigmoid,
  softmax,
  softmaxCrossEntropy,
  split,
  sqrt,
  square,
  sub,
  sum,
  type Tensor,
  tanh,
  toFlat,
  transpose,
  vjp,
} from './imports.js';
import { spatialCases } from './spatial-cases.js';

/** One line per op: how to call it and which inputs it takes (kept off kinks and poles). */
interface OpCase {
  readonly name: string;
  readonly f: (xs: readonly Tensor[]) => Tensor;
  readonly inputs: fc.Arbitrary<Matrix[]>;
}

const shape = fc.tuple(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 4 }));
const one = (options = {}) => arbMatrix(options).map((m) => [m]);
const positive = { min: 0.1, max: 3 };
const offZero = { awayFrom: [0], margin: 1e-3 };

/** Two inputs whose shapes broadcast: equal, a row, a column, or 1 × 1, on either side. */
const broadcastPair = (second = {}) =>
  fc
    .tuple(shape, fc.constantFrom('same', 'row', 'col', 'one'), fc.boolean())
    .chain(([[r, c], kind, flip]) => {
      const small: [number, number] =
        kind === 'same' ? [r, c] : kind === 'row' ? [1, c] : kind === 'col' ? [r, 1] : [1, 1];
      const [sa, sb] = flip
        ? [small, [r, c] as [number, number]]
        : [[r, c] as [number, number], small];
      return fc.tuple(arbEntries(sa[0], sa[1]), arbEntries(sb[0], sb[1], second));
    });

const matmulPair = (kind: 'NN' | 'NT' | 'TN') =>
  fc
    .tuple(
      fc.integer({ min: 1, max: 4 }),
      fc.integer({ min: 1, max: 4 }),
      fc.integer({ min: 1, max: 4 }),
    )
    .chain(([m, k, n]) =>
      kind === 'NN'
        ? fc.tuple(arbEntries(m, k), arbEntries(k, n))
        : kind === 'NT'
          ? fc.tuple(arbEntries(m, k), arbEntries(n, k))
          : fc.tuple(arbEntries(k, m), arbEntries(k, n)),
    );

const denseTriple = fc
  .tuple(
    fc.integer({ min: 1, max: 4 }),
    fc.integer({ min: 1, max: 4 }),
    fc.integer({ min: 1, max: 4 }),
  )
  .chain(([m, k, n]) => fc.tuple(arbEntries(m, k), arbEntries(k, n), arbEntries(1, n)));

const targetsPair = shape.chain(([r, c]) =>
  fc.tuple(arbEntries(r, c, { min: -5, max: 5 }), arbEntries(r, c, { min: 0, max: 1 })),
);

export const opTable: readonly OpCase[] = [
  { name: 'add', f: ([a, b]) => add(a!, b!), inputs: broadcastPair() },
  { name: 'sub', f: ([a, b]) => sub(a!, b!), inputs: broadcastPair() },
  { name: 'mul', f: ([a, b]) => mul(a!, b!), inputs: broadcastPair() },
  { name: 'div', f: ([a, b]) => div(a!, b!), inputs: broadcastPair({ min: 0.3, max: 3 }) },
  { name: 'neg', f: ([x]) => neg(x!), inputs: one() },
  { name: 'exp', f: ([x]) => exp(x!), inputs: one() },
  { name: 'log', f: ([x]) => log(x!), inputs: one(positive) },
  { name: 'tanh', f: ([x]) => tanh(x!), inputs: one() },
  { name: 'sigmoid', f: ([x]) => sigmoid(x!), inputs: one({ min: -6, max: 6 }) },
  { name: 'relu', f: ([x]) => relu(x!), inputs: one(offZero) },
  { name: 'abs', f: ([x]) => abs(x!), inputs: one(offZero) },
  { name: 'square', f: ([x]) => square(x!), inputs: one() },
  { name: 'sqrt', f: ([x]) => sqrt(x!), inputs: one(positive) },
  { name: 'matmul', f: ([a, b]) => matmul(a!, b!), inputs: matmulPair('NN') },
  { name: 'dense', f: ([x, W, b]) => dense(x!, W!, b!), inputs: denseTriple },
  { name: 'matmulNT', f: ([a, b]) => matmulNT(a!, b!), inputs: matmulPair('NT') },
  { name: 'matmulTN', f: ([a, b]) => matmulTN(a!, b!), inputs: matmulPair('TN') },
  { name: 'transpose', f: ([x]) => transpose(x!), inputs: one() },
  { name: 'sum', f: ([x]) => sum(x!), inputs: one() },
  { name: "sum 'rows'", f: ([x]) => sum(x!, 'rows'), inputs: one() },
  { name: "sum 'cols'", f: ([x]) => sum(x!, 'cols'), inputs: one() },
  { name: 'mean', f: ([x]) => mean(x!), inputs: one() },
  { name: "mean 'rows'", f: ([x]) => mean(x!, 'rows'), inputs: one() },
  { name: 'logSumExp', f: ([x]) => logSumExp(x!), inputs: one({ min: -5, max: 5 }) },
  { name: 'softmax', f: ([x]) => softmax(x!), inputs: one({ min: -5, max: 5 }) },
  { name: 'logSoftmax', f: ([x]) => logSoftmax(x!), inputs: one({ min: -5, max: 5 }) },
  { name: 'softmaxCrossEntropy', f: ([x, y]) => softmaxCrossEntropy(x!, y!), inputs: targetsPair },
  ...spatialCases,
];

/** Which row of the table exercises each primitive (and its VJP): typed, so none can be missed. */
const coveredBy: Record<PrimitiveName, OpCase['name']> = {
  add: 'add',
  sub: 'sub',
  mul: 'mul',
  div: 'div',
  neg: 'neg',
  broadcastAs: 'sum', // the VJP of every sum
  exp: 'exp',
  log: 'log',
  tanh: 'tanh',
  sigmoid: 'sigmoid',
  relu: 'relu',
  abs: 'abs',
  square: 'square',
  sqrt: 'sqrt',
  step: 'relu', // relu's VJP mask
  sign: 'abs', // abs's VJP
  matmul: 'matmul',
  dense: 'dense',
  matmulNT: 'matmulNT',
  matmulTN: 'matmulTN',
  transpose: 'transpose',
  sumAll: 'sum',
  sumRows: "sum 'rows'",
  sumCols: "sum 'cols'",
  logSumExp: 'logSumExp',
  softmax: 'softmax',
  logSoftmax: 'logSoftmax',
  softmaxCrossEntropy: 'softmaxCrossEntropy',
  reshape: 'reshape',
  sliceCols: 'sliceCols',
  concatCols: 'concatCols',
  transposeChunks: 'transposeChunks',
  maximum: 'maximum',
  pow: 'pow',
  where: 'where',
  im2col: 'im2col 2x4x3, 2x2 same',
  col2im: 'col2im 2x4x3, 2x2 same',
  maxPoolGather: 'maxPool2d',
  maxPoolScatter: 'maxPoolScatter',
};

it('every primitive is named by its key and has a row in the op table', () => {
  for (const [name, op] of Object.entries(primitives)) {
    expect(op.opName).toBe(name);
    expect(opTable.map((c) => c.name)).toContain(coveredBy[name as PrimitiveName]);
  }
});

const bits = (m: Matrix): Uint8Array => new Uint8Array(toFlat(m).buffer);

/** A 1 × 1 function of the op's output with a non-trivial cotangent everywhere. */
const weighted = (c: OpCase) => (xs: readonly Tensor[]) => {
  const out = c.f(xs);
  return sum(mul(out, sin2(out.rows, out.columns)));
};
const sin2 = (r: number, c: number) =>
  Matrix.from1DArray(
    r,
    c,
    Array.from({ length: r * c }, (_, i) => Math.sin(i + 1) + 1.5),
  );

describe.each(opTable)('$name', (c) => {
  test.prop([c.inputs], { numRuns: 40 })('matches central differences (full Jacobian)', (xs) => {
    const report = checkGrad(c.f, xs, { mode: 'full', rtol: 1e-6, atol: 1e-8 });
    expect(report.ok, report.message).toBe(true);
  });

  test.prop([c.inputs], { numRuns: 20 })(
    'leaves its inputs bit-identical, forward and backward',
    (xs) => {
      const before = xs.map(bits);
      const g = grad(weighted(c))(xs);
      grad((ys: Tensor[]) => sum(mul(weighted(c)(ys), weighted(c)(ys))))(xs); // second pass through fan-out
      expect(g).toHaveLength(xs.length);
      expect(xs.map(bits)).toEqual(before);
    },
  );

  test.prop([c.inputs, fc.integer({ min: 0, max: 2 ** 31 - 1 })], { numRuns: 20 })(
    'satisfies ⟨u, vjp(v)⟩ = ⟨jvp(u), v⟩ for random u, v',
    (xs, seed) => {
      const [ku, kv] = split(key(seed), 2) as [Key, Key];
      const us = xs.map((x, i) => normal(foldIn(ku, i), x.rows, x.columns));
      const [out, pullback] = vjp(c.f, xs);
      const v = normal(kv, out.rows, out.columns);
      const [, ju] = jvp(c.f, xs, us);
      const left = pullback(v).reduce((acc, g, i) => acc + scalar(sum(mul(g, us[i]!))), 0);
      const right = scalar(sum(mul(ju, v)));
      expect(left).toBeAllclose(right, { rtol: 1e-10, atol: 1e-12 });
    },
  );

  test.prop([c.inputs], { numRuns: 10 })('runs the same on plain matrices as on the tape', (xs) => {
    const [out] = vjp(c.f, xs);
    expect(c.f(xs)).toBeAllclose(out, { rtol: 0, atol: 0 });
  });
});

describe('shape errors name the op and both shapes', () => {
  const m = (r: number, c: number) => new Matrix(r, c);
  it.each([
    ['add', () => add(m(3, 2), m(2, 3)), /^add: cannot broadcast 3x2 with 2x3$/],
    ['sub', () => sub(m(3, 2), m(3, 3)), /^sub: cannot broadcast 3x2 with 3x3$/],
    ['mul', () => mul(m(1, 2), m(3, 3)), /^mul: cannot broadcast 1x2 with 3x3$/],
    ['div', () => div(m(4, 1), m(3, 1)), /^div: cannot broadcast 4x1 with 3x1$/],
    ['matmul', () => matmul(m(50, 784), m(100, 10)), /^matmul: cannot multiply 50x784 by 100x10$/],
    ['matmulNT', () => matmulNT(m(2, 3), m(2, 4)), /^matmulNT: cannot multiply 2x3 by \(2x4\)ᵀ$/],
    ['matmulTN', () => matmulTN(m(2, 3), m(3, 3)), /^matmulTN: cannot multiply \(2x3\)ᵀ by 3x3$/],
    [
      'softmaxCrossEntropy',
      () => softmaxCrossEntropy(m(2, 3), m(2, 4)),
      /logits are 2x3 but targets are 2x4/,
    ],
    [
      'softmaxCrossEntropy labels',
      () => softmaxCrossEntropy(m(2, 3), [0]),
      /2 rows of logits but 1 labels/,
    ],
    [
      'softmaxCrossEntropy label range',
      () => softmaxCrossEntropy(m(2, 3), [0, 3]),
      /label 1 is 3, expected an integer in \[0, 3\)/,
    ],
    [
      'sum axis',
      () => sum(m(2, 2), 'diagonal' as 'rows'),
      /sum: axis must be 'rows', 'cols' or omitted/,
    ],
    [
      'exp of an array',
      // @ts-expect-error: an array is no input, as an untyped caller may pass
      () => exp([1, 2]),
      /^exp: input 0 must be a Matrix, a traced value or a number, got an array of 2$/,
    ],
    [
      'add arity',
      // @ts-expect-error: one input of two, as an untyped caller may pass
      () => add(m(1, 1)),
      /^add: expected 2 inputs, got 1$/,
    ],
  ])('%s', (_name, call, message) => {
    expect(call).toThrow(message);
  });

  it('shape errors inside grad come from the op, not the tape', () => {
    expect(() =>
      grad((p: { W: Tensor }) => sum(matmul(p.W, new Matrix(3, 2))))({ W: new Matrix(2, 2) }),
    ).toThrow(/^matmul: cannot multiply 2x2 by 3x2$/);
  });
});

describe('fused row-wise ops equal their composites', () => {
  test.prop([arbMatrix({ min: -20, max: 20 })])('logSoftmax = x − logSumExp(x)', (x) => {
    expect(logSoftmax(x)).toBeAllclose(sub(x, logSumExp(x)), { rtol: 1e-12, atol: 1e-12 });
    expect(softmax(x)).toBeAllclose(exp(logSoftmax(x)), { rtol: 1e-12, atol: 1e-15 });
  });

  test.prop([targetsPair])(
    'softmaxCrossEntropy = −mean over rows of Σ y·logSoftmax(x)',
    ([x, y]) => {
      const composite = neg(div(sum(mul(y, logSoftmax(x))), x.rows));
      expect(softmaxCrossEntropy(x, y)).toBeAllclose(composite, { rtol: 1e-12, atol: 1e-14 });
      const g1 = grad((p: Tensor) => softmaxCrossEntropy(p, y))(x);
      const g2 = grad((p: Tensor) => neg(div(sum(mul(y, logSoftmax(p))), x.rows)))(x);
      expect(g1).toBeAllclose(g2, { rtol: 1e-10, atol: 1e-14 });
    },
  );

  it('class-index labels equal one-hot targets', () => {
    const x = Matrix.from1DArray(2, 3, [1, 2, 3, -1, 0, 4]);
    const onehot = Matrix.from1DArray(2, 3, [0, 0, 1, 1, 0, 0]);
    expect(softmaxCrossEntropy(x, [2, 0])).toBeAllclose(softmaxCrossEntropy(x, onehot), {
      rtol: 0,
      atol: 0,
    });
  });
});
