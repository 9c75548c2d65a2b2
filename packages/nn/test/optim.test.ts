import { key, type Matrix, type Tree, toFlat, treeFlatten } from '@difftape/core';
import { describe, expect, it } from 'vitest';
import {
  adam,
  addRegulariser,
  applyUpdates,
  chain,
  clipByGlobalNorm,
  cosineDecay,
  Dense,
  type DenseParams,
  exponentialDecay,
  type GradientTransformation,
  l1MaxColumn,
  momentum,
  type Params,
  paramRole,
  sgd,
  warmupCosineDecay,
} from '../src/index.js';
import { M, runSteps } from './helpers.js';

const p0 = (): DenseParams => ({ W: M(2, 2, [1, -2, 0.5, 0]), b: M(1, 2, [0, 0.3]) });
const g0 = (): Params => ({ W: M(2, 2, [0.1, 0.2, -0.3, 0.4]), b: M(1, 2, [1, -1]) });
const g1 = (): Params => ({ W: M(2, 2, [0.5, -0.5, 0, 1]), b: M(1, 2, [0.2, 0]) });
const W = (t: DenseParams) => t.W;
const b = (t: DenseParams) => t.b;

const run = <S>(opt: GradientTransformation<S>, grads: Params[]) => runSteps(opt, p0(), grads);

describe('optimisers, one or two steps by hand', () => {
  it('sgd: p − lr·g', () => {
    const p = run(sgd(0.5), [g0()]);
    expect(W(p)).toBeAllclose(M(2, 2, [0.95, -2.1, 0.65, -0.2]), { rtol: 1e-15 });
    expect(b(p)).toBeAllclose(M(1, 2, [-0.5, 0.8]), { rtol: 1e-15 });
  });

  it('momentum: v = g + βv, p −= lr·v (and Nesterov: p −= lr·(g + βv))', () => {
    // v1 = g0, v2 = g1 + 0.9 g0
    const p = run(momentum(0.1, 0.9), [g0(), g1()]);
    expect(b(p)).toBeAllclose(
      M(1, 2, [0 - 0.1 * 1 - 0.1 * (0.2 + 0.9), 0.3 + 0.1 - 0.1 * (0 - 0.9)]),
      { rtol: 1e-14 },
    );
    const n = run(momentum(0.1, 0.9, { nesterov: true }), [g0(), g1()]);
    // step 1: u = g0 + 0.9 g0; step 2: v2 = g1 + 0.9 g0, u = g1 + 0.9 v2
    const u1 = 1 + 0.9 * 1;
    const u2 = 0.2 + 0.9 * (0.2 + 0.9 * 1);
    expect(b(n).get(0, 0)).toBeCloseTo(-0.1 * u1 - 0.1 * u2, 14);
  });

  it('adam: two steps with bias correction', () => {
    const lr = 0.01;
    const [b1, b2, eps] = [0.9, 0.999, 1e-8];
    const step = (g: number[], m: number[], v: number[], t: number) => {
      const m2 = m.map((mi, i) => b1 * mi + (1 - b1) * g[i]!);
      const v2 = v.map((vi, i) => b2 * vi + (1 - b2) * g[i]! ** 2);
      const u = m2.map(
        (mi, i) => -lr * (mi / (1 - b1 ** t) / (Math.sqrt(v2[i]! / (1 - b2 ** t)) + eps)),
      );
      return { m2, v2, u };
    };
    const s1 = step([1, -1], [0, 0], [0, 0], 1);
    const s2 = step([0.2, 0], s1.m2, s1.v2, 2);
    const expected = [0 + s1.u[0]! + s2.u[0]!, 0.3 + s1.u[1]! + s2.u[1]!];
    expect(b(run(adam(lr), [g0(), g1()]))).toBeAllclose(M(1, 2, expected), { rtol: 1e-14 });
    // the first adam step moves every coordinate by lr (up to eps)
    expect(s1.u[0]).toBeCloseTo(-lr, 9);
  });

  it("the report's update: W ← W − η(∇W + λ ∂R(W)) is chain(addRegulariser(l1MaxColumn, λ), sgd(η))", () => {
    const [eta, lambda] = [0.05, 1e-3];
    const p = run(chain(addRegulariser(l1MaxColumn, lambda), sgd(eta)), [g0()]);
    // column L1 of W: [1.5, 2] → j* = 1, sign(W[:,1]) = [−1, 0]; bias is a vector: sign(b) = [0, 1]
    const gW = [0.1, 0.2 + lambda * -1, -0.3, 0.4 + lambda * 0];
    expect(W(p)).toBeAllclose(
      M(
        2,
        2,
        [1, -2, 0.5, 0].map((w, i) => w - eta * gW[i]!),
      ),
      { rtol: 1e-15 },
    );
    expect(b(p)).toBeAllclose(M(1, 2, [0 - eta * (1 + 0), 0.3 - eta * (-1 + lambda)]), {
      rtol: 1e-15,
    });
  });

  it('addRegulariser can be restricted to some leaves by path', () => {
    const p = run(
      chain(
        addRegulariser(l1MaxColumn, 1, (path) => path === 'W'),
        sgd(1),
      ),
      [g0()],
    );
    expect(b(p)).toBeAllclose(M(1, 2, [-1, 1.3]), { rtol: 1e-15 });
  });

  it('addRegulariser(l1MaxColumn) gives a one-input Dense layer’s 1 × n W the max-column rule, b Σ|b|', () => {
    // Telling them apart by row count would give this W, one row like its bias, sign(W) everywhere.
    const [params] = Dense(3).init(key(0), [1]);
    const W = M(1, 3, [0.5, -2, 1]);
    const b = M(1, 3, [0.5, -2, 1]);
    const zero = { W: M(1, 3, [0, 0, 0]), b: M(1, 3, [0, 0, 0]) };
    const [u] = addRegulariser(l1MaxColumn, 1).update(zero, {}, { ...params, W, b });
    expect(paramRole('W')).toBe('weight');
    expect(paramRole('0.b')).toBe('bias');
    expect(treeFlatten(u).paths).toEqual(['W', 'b']);
    const [uW, ub] = treeFlatten(u).leaves;
    expect(toFlat(uW!)).toEqual(new Float64Array([0, -1, 0]));
    expect(toFlat(ub!)).toEqual(new Float64Array([1, -1, 1]));
  });

  it('clipByGlobalNorm scales the whole tree down to the norm', () => {
    const opt = clipByGlobalNorm(1);
    const [u] = opt.update({ a: M(1, 2, [3, 4]) }, opt.init({}), { a: M(1, 2, [0, 0]) });
    expect((u as { a: Matrix }).a).toBeAllclose(M(1, 2, [0.6, 0.8]), { rtol: 1e-15 });
  });
});

describe('purity', () => {
  const optimisers: [string, GradientTransformation][] = [
    ['sgd', sgd(0.1)],
    ['momentum', momentum(0.1, 0.9, { nesterov: true })],
    ['adam', adam(0.01)],
    ['report', chain(addRegulariser(l1MaxColumn, 1e-3), sgd(0.05))],
  ];
  it.each(optimisers)('%s leaves params, grads and state untouched', (_name, opt) => {
    const params = p0();
    const grads = g0();
    const state = opt.init(params);
    const [u1, s1] = opt.update(grads, state, params);
    const snapshot = (t: unknown) =>
      JSON.stringify(
        treeFlatten(t as Tree<Matrix | number>).leaves.map((l) =>
          typeof l === 'number' ? l : Array.from(toFlat(l)),
        ),
      );
    const before = [params, grads, state, s1].map(snapshot);
    const [u2, s2] = opt.update(grads, state, params);
    opt.update(g1(), s1, applyUpdates(params, u1));
    expect([params, grads, state, s1].map(snapshot)).toEqual(before);
    expect(snapshot(u2)).toEqual(snapshot(u1));
    expect(snapshot(s2)).toEqual(snapshot(s1));
  });
});

describe('schedules', () => {
  it('cosine decay, warm-up and exponential decay hit their end points', () => {
    const c = cosineDecay(0.1, 100);
    expect(c(0)).toBeCloseTo(0.1, 15);
    expect(c(50)).toBeCloseTo(0.05, 15);
    expect(c(100)).toBeCloseTo(0, 15);
    expect(c(1000)).toBeCloseTo(0, 15);
    const w = warmupCosineDecay(1, 9, 109);
    expect(w(0)).toBeCloseTo(0.1, 15);
    expect(w(9)).toBeCloseTo(1, 15);
    expect(w(109)).toBeCloseTo(0, 15);
    expect(exponentialDecay(1, 0.5, 10, true)(25)).toBe(0.25);
  });

  it('a schedule drives sgd step by step', () => {
    const p = run(
      sgd((step) => (step === 0 ? 1 : 0.5)),
      [g0(), g1()],
    );
    expect(b(p)).toBeAllclose(M(1, 2, [0 - 1 - 0.1, 0.3 + 1 - 0]), { rtol: 1e-15 });
  });

  it('rejects bad hyperparameters with their name', () => {
    expect(() => sgd(-1)).toThrow('learning rate: expected a finite number >= 0, got -1');
    expect(() => momentum(0.1, 1.5)).toThrow('momentum beta: expected a number in [0, 1], got 1.5');
  });
});
