/**
 * Reuse, proved: a task that has nothing to do with MNIST (two interleaved spirals), built from
 * `@difftape/core` and `@difftape/nn` alone, trained to near-perfect training accuracy; and a user
 * checking the gradient of their own model, and of their own op inside it, with `checkGrad`.
 */

import {
  checkGrad,
  defineOp,
  foldIn,
  type Key,
  key,
  Matrix,
  mul,
  normal,
  type Op,
  rawOf,
  split,
  sub,
  type Tensor,
  type Traceable,
  uniform,
} from '@difftape/core';
import {
  Activation,
  adam,
  argmaxRows,
  batchIndices,
  Dense,
  initTrainState,
  type Layer,
  makeStep,
  type Params,
  Serial,
  softmaxCrossEntropy,
  Tanh,
  top1Accuracy,
} from '@difftape/nn';
import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';

/**
 * A two-spirals data set: `perClass` points per arm, 1.5 turns each out to radius 3 (a unit radius
 * leaves the tanh net on a long plateau), Gaussian noise of standard deviation `noise`.
 */
const twoSpirals = (k: Key, perClass: number, noise: number): { x: Matrix; labels: Int32Array } => {
  const [kPos, kNoise] = split(k, 2) as [Key, Key];
  const n = 2 * perClass;
  const position = uniform(kPos, n, 1); // where along its arm each point sits
  const jitter = normal(kNoise, n, 2, noise);
  const x = new Matrix(n, 2);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const arm = i < perClass ? 0 : 1;
    const s = position.get(i, 0);
    const radius = 0.3 + 2.7 * s;
    const angle = 3 * Math.PI * s + arm * Math.PI;
    x.set(i, 0, radius * Math.cos(angle) + jitter.get(i, 0));
    x.set(i, 1, radius * Math.sin(angle) + jitter.get(i, 1));
    labels[i] = arm;
  }
  return { x, labels };
};

/** The rows `indices` of `x` and their labels: one mini-batch. */
const gather = (x: Matrix, labels: Int32Array, indices: ArrayLike<number>) => {
  const batch = new Matrix(indices.length, x.columns);
  const y = new Int32Array(indices.length);
  for (let r = 0; r < indices.length; r++) {
    const i = indices[r]!;
    for (let j = 0; j < x.columns; j++) batch.set(r, j, x.get(i, j));
    y[r] = labels[i]!;
  }
  return { x: batch, y };
};

const model = Serial(Dense(32), Tanh, Dense(32), Tanh, Dense(2));

describe('two spirals with core and nn only', () => {
  const [kData, kInit, kShuffle] = split(key(2024), 3) as [Key, Key, Key];
  const data = twoSpirals(kData, 200, 0.05);

  test('a tanh MLP trained with adam separates the spirals (>= 98 % training accuracy)', () => {
    const optimiser = adam(0.01);
    const step = makeStep(model, softmaxCrossEntropy, optimiser);
    let state = initTrainState(model.init(kInit, [2])[0], optimiser);
    const accuracy = (params: typeof state.params) =>
      top1Accuracy(argmaxRows(rawOf(model.apply(params, data.x))), data.labels);
    const before = accuracy(state.params);
    for (let epoch = 0; epoch < 200; epoch++) {
      for (const indices of batchIndices(foldIn(kShuffle, epoch), data.labels.length, 32)) {
        [state] = step(state, gather(data.x, data.labels, indices));
      }
    }
    const after = accuracy(state.params);
    expect(before).toBeLessThan(0.8); // the spirals are not separable by the untrained net
    expect(after).toBeGreaterThanOrEqual(0.98);
  }, 30_000);

  /** The user's model's loss on a small batch, as a function of its parameters. */
  const lossOn = <P extends Params>(layers: Layer<P>, seed: number) => {
    const [kp, kb] = split(key(seed), 2);
    const indices = batchIndices(kb, data.labels.length, 8)[0]!;
    const batch = gather(data.x, data.labels, indices);
    const params = layers.init(kp, [2])[0];
    return {
      f: (p: P | Traceable<P>) => softmaxCrossEntropy(layers.apply(p, batch.x), batch.y),
      params,
    };
  };

  test.prop([fc.integer({ min: 0, max: 2 ** 31 - 1 })], { numRuns: 4 })(
    "checkGrad confirms the tape's gradient of the spirals model at random parameters and batches",
    (seed) => {
      const { f, params } = lossOn(model, seed);
      const report = checkGrad(f, params, { rtol: 1e-5, atol: 1e-7 });
      expect(report.ok, report.message).toBe(true);
      expect(report.checked).toBeGreaterThan(1000); // every parameter entry, not a sample of them
    },
  );

  /** A user's own tanh op, with a VJP that is right or wrong. */
  const userTanh = (right: boolean): Op<[Tensor]> =>
    defineOp<[Tensor]>({
      name: right ? 'userTanh' : 'userTanhBroken',
      forward: (x) => {
        const out = new Matrix(x.rows, x.columns);
        for (let i = 0; i < x.rows; i++)
          for (let j = 0; j < x.columns; j++) out.set(i, j, Math.tanh(x.get(i, j)));
        return out;
      },
      // d tanh x = (1 − tanh² x) dx; the broken one forgets the square.
      vjp: [(g, out) => mul(g, sub(1, right ? mul(out, out) : out))],
    });

  test.prop([fc.integer({ min: 0, max: 2 ** 31 - 1 })], { numRuns: 3 })(
    "checkGrad passes a user's op with a right VJP and flags the first layer when the VJP is wrong",
    (seed) => {
      const withOp = (right: boolean) =>
        Serial(Dense(8), Activation('userTanh', userTanh(right)), Dense(2));
      const good = lossOn(withOp(true), seed);
      const passed = checkGrad(good.f, good.params);
      expect(passed.ok, passed.message).toBe(true);
      const bad = lossOn(withOp(false), seed);
      const report = checkGrad(bad.f, bad.params);
      expect(report.ok).toBe(false);
      // Only the layer below the broken op gets a wrong gradient.
      expect(report.worst?.leaf).toMatch(/^0\.(W|b)$/);
    },
  );
});
