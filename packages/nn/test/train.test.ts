import { key, Matrix, NonFiniteError, normal, softmaxCrossEntropy } from '@difftape/core';
import { describe, expect, it } from 'vitest';
import {
  batchIndices,
  Dense,
  Dropout,
  initTrainState,
  makeStep,
  Relu,
  Serial,
  sgd,
} from '../src/index.js';

describe('batchIndices', () => {
  it('cuts a permutation into full batches, dropping the rest as the report does', () => {
    const batches = batchIndices(key(0), 103, 10);
    expect(batches).toHaveLength(10);
    const seen = new Set(batches.flatMap((b) => Array.from(b)));
    expect(seen.size).toBe(100);
    expect(batchIndices(key(0), 103, 10, { keepPartial: true }).at(-1)).toHaveLength(3);
    expect(Array.from(batchIndices(key(0), 5, 5, { shuffle: false })[0]!)).toEqual([0, 1, 2, 3, 4]);
  });

  it('is fixed by its key and differs between keys', () => {
    expect(Array.from(batchIndices(key(1), 50, 50)[0]!)).toEqual(
      Array.from(batchIndices(key(1), 50, 50)[0]!),
    );
    expect(Array.from(batchIndices(key(1), 50, 50)[0]!)).not.toEqual(
      Array.from(batchIndices(key(2), 50, 50)[0]!),
    );
  });

  it('names bad arguments', () => {
    expect(() => batchIndices(key(0), 10, 0)).toThrow(
      'batchIndices: batch size: expected a positive integer, got 0',
    );
  });
});

describe('makeStep', () => {
  const x = normal(key(7), 32, 4);
  const y = Array.from({ length: 32 }, (_, i) => (x.get(i, 0) + x.get(i, 1) > 0 ? 1 : 0));
  const model = Serial(Dense(8), Relu, Dense(2));

  it('is pure and lowers the loss on a small problem', () => {
    const step = makeStep(model, softmaxCrossEntropy, sgd(0.5));
    const s0 = initTrainState(model.init(key(1), [4])[0], sgd(0.5));
    const w0 = JSON.stringify(s0);
    let state = s0;
    const losses: number[] = [];
    for (let i = 0; i < 200; i++) {
      const [next, stats] = step(state, { x, y });
      losses.push(stats.loss);
      state = next;
    }
    expect(JSON.stringify(s0)).toBe(w0);
    expect(state.step).toBe(200);
    expect(losses.at(-1)!).toBeLessThan(losses[0]! / 4);
  });

  it('is deterministic: the same state and batch give bit-identical parameters', () => {
    const step = makeStep(model, softmaxCrossEntropy, sgd(0.1));
    const s0 = initTrainState(model.init(key(1), [4])[0], sgd(0.1));
    const a = step(step(s0, { x, y })[0], { x, y })[0];
    const b = step(step(s0, { x, y })[0], { x, y })[0];
    expect(JSON.stringify(a.params)).toBe(JSON.stringify(b.params));
    expect(a.params).not.toBeInstanceOf(Matrix);
  });
});

describe('makeStep with checkFinite', () => {
  const model = Serial(Dense(3), Relu, Dense(2));
  const optimiser = sgd(0.1);
  const batch = { x: normal(key(1), 4, 5, 1), y: [0, 1, 1, 0] };
  /** The fresh state with one -Infinity in the last Dense layer's weights. */
  const poisoned = () => {
    const state = initTrainState(model.init(key(0), [5])[0], optimiser);
    const [first, relu, last] = state.params;
    const W = last.W.clone();
    W.set(1, 0, Number.NEGATIVE_INFINITY);
    const params: typeof state.params = [first, relu, { ...last, W }];
    return { ...state, params };
  };

  it('names the op and the Serial layer that first made a non-finite value', () => {
    const step = makeStep(model, softmaxCrossEntropy, optimiser, { checkFinite: true });
    let caught: unknown;
    try {
      step(poisoned(), batch);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(NonFiniteError);
    const e = caught as NonFiniteError;
    expect(e.layer).toEqual({ index: 2, name: expect.stringMatching(/Dense/) });
    expect(e.op).toBe('dense');
    expect(e.pass).toBe('forward');
    expect(Number.isFinite(e.value)).toBe(false);
    expect(e.message).toMatch(/'dense'.*in layer 2 \(Dense/);
  });

  it('is off by default: the step runs and returns the non-finite loss', () => {
    const step = makeStep(model, softmaxCrossEntropy, optimiser);
    const [, stats] = step(poisoned(), batch);
    expect(Number.isFinite(stats.loss)).toBe(false);
  });
});

describe('makeStep with a key (dropout)', () => {
  const model = Serial(Dense(6), Relu, Dropout(0.5), Dense(3));
  const x = normal(key(2), 8, 4);
  const y = [0, 1, 2, 0, 1, 2, 0, 1];
  const start = initTrainState(model.init(key(1), [4])[0], sgd(0.1));
  const twoSteps = (k: number) => {
    const step = makeStep(model, softmaxCrossEntropy, sgd(0.1), { key: key(k) });
    const [s1, a] = step(start, { x, y });
    const [, b] = step(s1, { x, y });
    return [a.loss, b.loss];
  };

  it('draws each step its masks from foldIn(key, step): the same key, the same run', () => {
    expect(twoSteps(5)).toEqual(twoSteps(5));
    expect(twoSteps(5)).not.toEqual(twoSteps(6));
    const [first, second] = twoSteps(5);
    expect(first).not.toBe(second);
  });

  it('without a key, a model that drops refuses to train, naming the layer', () => {
    const step = makeStep(model, softmaxCrossEntropy, sgd(0.1));
    expect(() => step(start, { x, y })).toThrow(
      /^Serial: layer 2 \(Dropout\(0\.5\)\): Dropout\(0\.5\): training needs a PRNG key/,
    );
  });
});
