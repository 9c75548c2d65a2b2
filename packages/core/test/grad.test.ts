import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import {
  abs,
  add,
  arbMatrix,
  defineOp,
  exp,
  filled,
  grad,
  hvp,
  jvp,
  log,
  logSumExp,
  Matrix,
  map,
  matmul,
  mean,
  mul,
  NonFiniteError,
  relu,
  sigmoid,
  softmax,
  softmaxCrossEntropy,
  sqrt,
  square,
  stopGradient,
  sum,
  type Tensor,
  tanh,
  valueAndGrad,
  vjp,
} from './imports.js';

const m = (rows: number, cols: number, values: number[]) => Matrix.from1DArray(rows, cols, values);
const fill = (rows: number, cols: number, v: number) => filled(rows, cols, v);

describe('first order', () => {
  it('adds cotangents at fan-out', () => {
    const x = m(2, 2, [1, -2, 3, 0.5]);
    // f = Σ x² + Σ x + Σ x·x·x: x is used six times
    const f = (p: Tensor) => add(add(sum(mul(p, p)), sum(p)), sum(mul(mul(p, p), p)));
    expect(grad(f)(x)).toBeAllclose(
      map(x, (v) => 2 * v + 1 + 3 * v * v),
      { rtol: 1e-14 },
    );
  });

  it('sums over the broadcast axis: row, column, 1x1 and number', () => {
    const x = m(3, 2, [1, 2, 3, 4, 5, 6]);
    const g = grad((p: { row: Tensor; col: Tensor; one: Tensor }) =>
      sum(mul(add(add(add(x, p.row), p.col), p.one), 2)),
    )({ row: fill(1, 2, 0), col: fill(3, 1, 0), one: fill(1, 1, 0) });
    expect(g.row).toBeAllclose(fill(1, 2, 6));
    expect(g.col).toBeAllclose(fill(3, 1, 4));
    expect(g.one).toBeAllclose(fill(1, 1, 12));
  });

  it('takes relu′(0) = 0 and |x|′(0) = 0', () => {
    const zero = fill(2, 3, 0);
    expect(grad((p: Tensor) => sum(relu(p)))(zero)).toBeAllclose(fill(2, 3, 0), { atol: 0 });
    expect(grad((p: Tensor) => sum(abs(p)))(zero)).toBeAllclose(fill(2, 3, 0), { atol: 0 });
    expect(grad((p: Tensor) => sum(relu(p)))(m(1, 3, [-1e-300, 1e-300, 2]))).toBeAllclose(
      m(1, 3, [0, 1, 1]),
    );
  });

  it('walks a chain of 100 000 ops without overflowing the stack', () => {
    const f = (p: Tensor) => {
      let h = p;
      for (let i = 0; i < 100_000; i++) h = mul(h, 1.000001);
      return sum(h);
    };
    expect(grad(f)(fill(1, 1, 1)).get(0, 0)).toBeCloseTo(1.000001 ** 100_000, 8);
  });

  it('gives the same result every time (backward is idempotent)', () => {
    const p = { W: m(2, 2, [0.1, -0.3, 0.7, 0.2]), b: m(1, 2, [0.05, -0.1]) };
    const x = m(3, 2, [1, 2, -1, 0.5, 0.3, -2]);
    const f = (q: typeof p) => softmaxCrossEntropy(add(matmul(x, q.W), q.b), [0, 1, 1]);
    const [, pullback] = vjp(f, p);
    const a = pullback(fill(1, 1, 1));
    const b = pullback(fill(1, 1, 1));
    expect(a.W).toBeAllclose(b.W, { rtol: 0, atol: 0 });
    expect(grad(f)(p).b).toBeAllclose(grad(f)(p).b, { rtol: 0, atol: 0 });
    expect(a.b).toBeAllclose(b.b, { rtol: 0, atol: 0 });
  });

  it('gives zero gradients to parameters the output ignores, with the tree structure', () => {
    const g = grad((p: { used: Tensor; unused: Tensor[] }) => sum(p.used))({
      used: fill(1, 2, 3),
      unused: [fill(2, 2, 1), fill(1, 1, 1)],
    });
    expect(g.used).toBeAllclose(fill(1, 2, 1));
    expect(g.unused).toHaveLength(2);
    expect(g.unused[0]).toBeAllclose(fill(2, 2, 0), { atol: 0 });
  });

  it('stopGradient makes a constant', () => {
    const x = m(1, 3, [1, 2, 3]);
    expect(grad((p: Tensor) => sum(mul(stopGradient(p), p)))(x)).toBeAllclose(x);
  });

  it('valueAndGrad returns the value as a number', () => {
    const [v, g] = valueAndGrad((p: Tensor) => mean(square(p)))(m(1, 2, [3, 4]));
    expect(v).toBe(12.5);
    expect(g).toBeAllclose(m(1, 2, [3, 4]));
  });

  it('vjp pulls back any cotangent of a non-scalar output', () => {
    const x = m(2, 2, [1, 2, 3, 4]);
    const [out, pullback] = vjp((p: Tensor) => mul(p, p), x);
    expect(out).toBeAllclose(m(2, 2, [1, 4, 9, 16]));
    expect(pullback(m(2, 2, [1, 0, 0, 2]))).toBeAllclose(m(2, 2, [2, 0, 0, 16]));
    expect(() => pullback(fill(1, 1, 1))).toThrow(
      'vjp: the cotangent is 1x1 but the output is 2x2',
    );
  });
});

describe('errors', () => {
  it('grad refuses a non-scalar result and says what to use', () => {
    expect(() => grad((p: Tensor) => mul(p, 2))(fill(2, 3, 1))).toThrow(
      'grad: the function must return a 1x1 result, got 2x3 (use vjp for other shapes)',
    );
  });

  it('names a parameter that is not a matrix by its path', () => {
    expect(() =>
      grad((p: { layers: { W: Tensor }[] }) => sum(p.layers[0]!.W))({
        // @ts-expect-error: a number where a matrix belongs, as an untyped caller may pass
        layers: [{ W: 3 }],
      }),
    ).toThrow("grad: parameter 'layers.0.W' must be a Matrix, got a number");
  });

  it('names a user op whose VJP returns the wrong shape', () => {
    const bad = defineOp<[Tensor]>({
      name: 'bad',
      forward: (x) => x.clone(),
      vjp: [(g) => sum(g)],
    });
    expect(() => grad((p: Tensor) => sum(bad(p)))(fill(2, 2, 1))).toThrow(
      "backward: the VJP of 'bad' (tape index 1) for input 0 returned 1x1, but the input is 2x2",
    );
  });
});

describe('huge logits', () => {
  it('softmaxCrossEntropy, logSumExp and softmax stay finite and exact at |x| = 1e4', () => {
    const x = m(2, 3, [1e4, 0, -1e4, -1e4, 1e4, 1e4]);
    expect(softmaxCrossEntropy(x, [0, 0])).toBeAllclose(
      fill(1, 1, (0 + (1e4 + Math.log(2) + 1e4)) / 2),
      { rtol: 1e-15 },
    );
    expect(logSumExp(x)).toBeAllclose(m(2, 1, [1e4, 1e4 + Math.log(2)]), { rtol: 1e-15 });
    expect(softmax(x)).toBeAllclose(m(2, 3, [1, 0, 0, 0, 0.5, 0.5]), { atol: 1e-300 });
    const g = grad((p: Tensor) => softmaxCrossEntropy(p, [0, 0]))(x);
    expect(g).toBeAllclose(m(2, 3, [0, 0, 0, -0.5, 0.25, 0.25]), { atol: 1e-300 });
  });
});

describe('checkFinite', () => {
  it('names the first op and tape index to make a non-finite value, forward', () => {
    const f = (p: Tensor) => sum(log(sub1(p)));
    const run = () => grad(f, { checkFinite: true })(m(1, 2, [2, 1]));
    expect(run).toThrow(NonFiniteError);
    expect(run).toThrow(
      "checkFinite: 'log' (tape index 2) produced -Infinity at [0, 1] of its 1x2 output",
    );
    expect(() => grad(f)(m(1, 2, [2, 1]))).not.toThrow();
  });

  it('names the op whose backward pass made it', () => {
    const run = () => grad((p: Tensor) => sum(sqrt(p)), { checkFinite: true })(m(1, 2, [4, 0]));
    expect(run).toThrow(
      "checkFinite: the backward pass of 'sqrt' (tape index 1) produced Infinity at [0, 1] in the cotangent of input 0",
    );
  });
});
const sub1 = (p: Tensor) => add(p, -1);

describe('higher order', () => {
  const x = m(2, 2, [0.3, -1.2, 2, 0.7]);
  const second = (f: (p: Tensor) => Tensor) => grad((p: Tensor) => sum(grad(f)(p)));

  it.each([
    ['x³', (p: Tensor) => sum(mul(p, square(p))), (v: number) => 6 * v],
    ['eˣ', (p: Tensor) => sum(exp(p)), Math.exp],
    [
      'tanh',
      (p: Tensor) => sum(tanh(p)),
      (v: number) => -2 * Math.tanh(v) * (1 - Math.tanh(v) ** 2),
    ],
    [
      'sigmoid',
      (p: Tensor) => sum(sigmoid(p)),
      (v: number) => {
        const s = 1 / (1 + Math.exp(-v));
        return s * (1 - s) * (1 - 2 * s);
      },
    ],
    ['log', (p: Tensor) => sum(log(add(p, 3))), (v: number) => -1 / (v + 3) ** 2],
  ])('second derivative of Σ %s matches its closed form', (_name, f, d2) => {
    expect(second(f)(x)).toBeAllclose(map(x, d2), { rtol: 1e-12, atol: 1e-14 });
  });

  it('third derivative of Σ x⁴ is 24x', () => {
    const f = (p: Tensor) => sum(square(square(p)));
    const third = grad((p: Tensor) => sum(second(f)(p)));
    expect(third(x)).toBeAllclose(
      map(x, (v) => 24 * v),
      { rtol: 1e-12 },
    );
  });

  it('does not confuse perturbations: d/dx [x · d/dy (x·y)] = 2x', () => {
    const f = (p: Tensor) => sum(mul(p, grad((y: Tensor) => sum(mul(p, y)))(fill(2, 2, 1))));
    expect(grad(f)(x)).toBeAllclose(
      map(x, (v) => 2 * v),
      { rtol: 1e-14 },
    );
    // Siskind & Pearlmutter's example: d/dx [x · (d/dy (x + y))] = 1
    const g = (p: Tensor) => sum(mul(p, grad((y: Tensor) => sum(add(p, y)))(fill(2, 2, 1))));
    expect(grad(g)(x)).toBeAllclose(fill(2, 2, 1));
  });

  test.prop(
    [arbMatrix({ rows: 3, cols: 4, awayFrom: [0], margin: 0.05 }), arbMatrix({ rows: 3, cols: 4 })],
    { numRuns: 25 },
  )('Hessian-vector products match central differences of the gradient', (w, v) => {
    const data = m(2, 3, [0.5, -1, 2, 1.5, 0.2, -0.7]);
    const f = (p: Tensor) => softmaxCrossEntropy(tanh(matmul(data, relu(p))), [1, 3]);
    const eps = 1e-5;
    const shifted = (s: number) => grad(f)(map2(w, v, (a, b) => a + s * eps * b));
    const numeric = map2(shifted(1), shifted(-1), (a, b) => (a - b) / (2 * eps));
    expect(hvp(f)(w, v)).toBeAllclose(numeric, { rtol: 1e-5, atol: 1e-8 });
  });

  it('user ops defined with defineOp are differentiable twice', () => {
    const cube = defineOp<[Tensor]>({
      name: 'cube',
      forward: (v) => map(v, (t) => t ** 3),
      vjp: [(g, _out, v) => mul(g, mul(3, square(v)))], // d x³ = 3x² dx
    });
    expect(second((p) => sum(cube(p)))(x)).toBeAllclose(
      map(x, (v) => 6 * v),
      { rtol: 1e-13 },
    );
  });
});

const map2 = (a: Matrix, b: Matrix, f: (x: number, y: number) => number) =>
  Matrix.from1DArray(
    a.rows,
    a.columns,
    a.to1DArray().map((v, i) => f(v, b.to1DArray()[i]!)),
  );

test.prop([fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 5 })])(
  'mean of a constant is the constant',
  (r, c) => {
    expect(mean(fill(r, c, 3))).toBeAllclose(fill(1, 1, 3), { rtol: 1e-15 });
  },
);

describe('jvp', () => {
  it('equals central differences along the tangent', () => {
    const p = {
      W: Matrix.from1DArray(2, 2, [0.3, -0.2, 0.5, 1.1]),
      b: Matrix.from1DArray(1, 2, [0.1, -0.4]),
    };
    const u = {
      W: Matrix.from1DArray(2, 2, [1, 0.5, -0.3, 0.2]),
      b: Matrix.from1DArray(1, 2, [-1, 2]),
    };
    const x = Matrix.from1DArray(3, 2, [1, 2, -1, 0.5, 0.2, -0.7]);
    const f = (q: typeof p) => tanh(add(matmul(x, q.W), q.b));
    const eps = 1e-6;
    const at = (s: number) =>
      f({
        W: map2(p.W, u.W, (a, d) => a + s * eps * d),
        b: map2(p.b, u.b, (a, d) => a + s * eps * d),
      });
    const numeric = map2(at(1), at(-1), (a, b) => (a - b) / (2 * eps));
    const [out, tangent] = jvp(f, p, u);
    expect(out).toBeAllclose(f(p));
    expect(tangent).toBeAllclose(numeric, { rtol: 1e-7, atol: 1e-10 });
  });
});
