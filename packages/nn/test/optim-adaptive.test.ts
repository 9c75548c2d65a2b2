import type { Matrix } from '@difftape/core';
import { describe, expect, it } from 'vitest';
import { adam, adamw, type GradientTransformation, type Params, rmsprop } from '../src/index.js';
import { M, runSteps } from './helpers.js';

const p0 = (): Params => ({ W: M(1, 2, [1, -2]), b: M(1, 2, [0, 0.3]) });
const g0 = (): Params => ({ W: M(1, 2, [0.1, -0.4]), b: M(1, 2, [1, -1]) });
const g1 = (): Params => ({ W: M(1, 2, [0.5, 0.2]), b: M(1, 2, [0.2, 0]) });
const W = (t: Params) => (t as { W: Matrix }).W;
const b = (t: Params) => (t as { b: Matrix }).b;

const run = <S>(opt: GradientTransformation<S>, grads: Params[]) => runSteps(opt, p0(), grads);

describe('adamw, two steps by hand', () => {
  const [lr, b1, b2, eps, wd] = [0.01, 0.9, 0.999, 1e-8, 0.1];
  /** One coordinate: Adam's bias-corrected step plus wd times the parameter before the step. */
  const adamwSteps = (p: number, gs: number[], decay: number) => {
    let [m, v] = [0, 0];
    gs.forEach((g, i) => {
      const t = i + 1;
      m = b1 * m + (1 - b1) * g;
      v = b2 * v + (1 - b2) * g * g;
      p -= lr * (m / (1 - b1 ** t) / (Math.sqrt(v / (1 - b2 ** t)) + eps) + decay * p);
    });
    return p;
  };

  it('decays every parameter after the Adam scaling: p −= lr·(m̂ / (√v̂ + eps) + λ·p)', () => {
    const p = run(adamw(lr, { weightDecay: wd }), [g0(), g1()]);
    expect(W(p)).toBeAllclose(
      M(1, 2, [adamwSteps(1, [0.1, 0.5], wd), adamwSteps(-2, [-0.4, 0.2], wd)]),
      { rtol: 1e-14 },
    );
    expect(b(p)).toBeAllclose(
      M(1, 2, [adamwSteps(0, [1, 0.2], wd), adamwSteps(0.3, [-1, 0], wd)]),
      { rtol: 1e-14 },
    );
    // the first step: Adam moves by lr·sign(g) (up to eps), the decay by lr·λ·p: W[0] = 1 − 0.01 − 0.001
    expect(W(run(adamw(lr, { weightDecay: wd }), [g0()])).get(0, 0)).toBeCloseTo(0.989, 8);
  });

  it('decayWhere spares the leaves it rejects, which then follow plain Adam', () => {
    const opt = adamw(lr, { weightDecay: wd, decayWhere: (path) => path !== 'b' });
    const p = run(opt, [g0(), g1()]);
    expect(b(p)).toBeAllclose(b(run(adam(lr), [g0(), g1()])), { rtol: 0, atol: 0 });
    expect(W(p).get(0, 1)).toBeCloseTo(adamwSteps(-2, [-0.4, 0.2], wd), 14);
  });

  it('with no weight decay it is Adam, bit for bit', () => {
    expect(W(run(adamw(lr, { weightDecay: 0 }), [g0(), g1()]))).toBeAllclose(
      W(run(adam(lr), [g0(), g1()])),
      { rtol: 0, atol: 0 },
    );
  });
});

describe('rmsprop, two steps by hand', () => {
  const lr = 0.01;

  it('ν = 0.9ν + 0.1g², p −= lr·g / √(ν + eps)', () => {
    // b[0]: g = 1 then 0.2. ν1 = 0.1, ν2 = 0.09 + 0.004 = 0.094
    const b0 = 0 - (lr * 1) / Math.sqrt(0.1 + 1e-8) - (lr * 0.2) / Math.sqrt(0.094 + 1e-8);
    // b[1]: g = −1 then 0: the second step does not move it
    const b1 = 0.3 + lr / Math.sqrt(0.1 + 1e-8);
    expect(b(run(rmsprop(lr), [g0(), g1()]))).toBeAllclose(M(1, 2, [b0, b1]), { rtol: 1e-14 });
  });

  it('decay, eps and initialScale are honoured', () => {
    // ν0 = 1, ν1 = 0.5·1 + 0.5·1 = 1 → the step is lr·g / √(1 + 0.01)
    const p = run(rmsprop(lr, { decay: 0.5, eps: 0.01, initialScale: 1 }), [g0()]);
    expect(b(p).get(0, 0)).toBeCloseTo(-lr / Math.sqrt(1.01), 15);
  });

  it('centred: divides by √(ν − μ² + eps)', () => {
    // W[1]: g = −0.4 then 0.2. μ1 = −0.04, ν1 = 0.016; μ2 = −0.016, ν2 = 0.0144 + 0.004 = 0.0184
    const s1 = -0.4 / Math.sqrt(0.016 - 0.04 ** 2 + 1e-8);
    const s2 = 0.2 / Math.sqrt(0.0184 - 0.016 ** 2 + 1e-8);
    const p = run(rmsprop(lr, { centered: true }), [g0(), g1()]);
    expect(W(p).get(0, 1)).toBeCloseTo(-2 - lr * s1 - lr * s2, 13);
  });

  it('momentum traces the scaled step: t = −lr·s + βt', () => {
    // b[0]: s1 = 1/√0.1, s2 = 0.2/√0.094; t1 = −lr s1, t2 = −lr s2 + 0.9 t1
    const [s1, s2] = [1 / Math.sqrt(0.1 + 1e-8), 0.2 / Math.sqrt(0.094 + 1e-8)];
    const p = run(rmsprop(lr, { momentum: 0.9 }), [g0(), g1()]);
    expect(b(p).get(0, 0)).toBeCloseTo(-lr * s1 + (-lr * s2 - 0.9 * lr * s1), 14);
  });

  it('rejects out-of-range options, naming them', () => {
    expect(() => rmsprop(lr, { decay: 1.5 })).toThrow(
      'rmsprop decay: expected a number in [0, 1], got 1.5',
    );
    expect(() => rmsprop(lr, { eps: -1 })).toThrow(
      'rmsprop eps: expected a finite number >= 0, got -1',
    );
    expect(() => rmsprop(lr, { momentum: 2 })).toThrow(
      'momentum beta: expected a number in [0, 1], got 2',
    );
    expect(() => adamw(lr, { weightDecay: -0.1 })).toThrow(
      'weight decay: expected a finite number >= 0, got -0.1',
    );
  });
});
