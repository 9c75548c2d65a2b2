import { key, rawOf, scalar, softmax, softmaxCrossEntropy, treeMap } from '@difftape/core';
import {
  argmaxRows,
  decodeOrThrow,
  type Layer,
  ModelSpec,
  modelFromSpec,
  oneVsRestMetrics,
  type Params,
  top1Accuracy,
} from '@difftape/nn';
import { afterAll, describe, expect, it } from 'vitest';
import {
  CLASSES,
  type Dataset,
  gatherBatch,
  gatherLabels,
  loadIdxDir,
  subset,
} from '../src/data.js';
import { type Evaluator, evalPool, evalWorkerCount, sharedSplits } from '../src/eval-pool.js';
import { CHUNK, type Evaluation, evaluate } from '../src/evaluate.js';

/** The evaluation as it was written before chunk evaluators: gather, the core ops, per chunk. */
const reference = (model: Layer, params: Params, ds: Dataset): Evaluation => {
  const predictions = new Int32Array(ds.count);
  const confidences = new Float64Array(ds.count);
  let lossSum = 0;
  for (let start = 0; start < ds.count; start += CHUNK) {
    const indices = Array.from({ length: Math.min(CHUNK, ds.count - start) }, (_, i) => start + i);
    const logits = rawOf(model.apply(params, gatherBatch(ds, indices)));
    lossSum += scalar(softmaxCrossEntropy(logits, gatherLabels(ds, indices))) * indices.length;
    const predicted = argmaxRows(logits);
    predictions.set(predicted, start);
    const probs = rawOf(softmax(logits));
    predicted.forEach((k, i) => {
      confidences[start + i] = probs.get(i, k);
    });
  }
  const metrics = oneVsRestMetrics(predictions, ds.labels, CLASSES);
  return {
    loss: lossSum / ds.count,
    top1: top1Accuracy(predictions, ds.labels),
    oneVsRestError: metrics.error,
    oneVsRestAccuracy: metrics.accuracy,
    predictions,
    confidences,
  };
};

const bytes = (a: Float64Array | Int32Array): Buffer =>
  Buffer.from(a.buffer, a.byteOffset, a.byteLength);

/** Every number of two evaluations is the same bits (Object.is tells −0 and NaN apart too). */
const expectSameBits = (a: Evaluation, b: Evaluation): void => {
  expect(Object.is(a.loss, b.loss), `loss ${a.loss} vs ${b.loss}`).toBe(true);
  expect(a.top1).toBe(b.top1);
  expect(a.oneVsRestError).toEqual(b.oneVsRestError);
  expect(a.oneVsRestAccuracy).toEqual(b.oneVsRestAccuracy);
  expect(bytes(a.predictions).equals(bytes(b.predictions))).toBe(true);
  expect(bytes(a.confidences).equals(bytes(b.confidences))).toBe(true);
};

const specOf = (json: unknown): ModelSpec => decodeOrThrow(ModelSpec, json, 'the test spec');
const MLP = specOf({ layers: [{ dense: 100 }, 'relu', { dense: 100 }, 'relu', { dense: 10 }] });
const CNN = specOf({
  input: [1, 28, 28],
  layers: [
    { conv2d: { filters: 4, kernel: 5 } },
    'relu',
    { maxPool2d: 2 },
    'flatten',
    { dense: 10 },
  ],
});
const INPUT = [1, 28, 28];
const mnist = loadIdxDir();
// Two full chunks and a partial one, and a split smaller than one chunk.
const train = subset(mnist.train, 2 * CHUNK + 345);
const test = subset(mnist.test, 678);

const setup = (spec: ModelSpec, seed: number) => {
  const model = modelFromSpec(spec, { input: INPUT });
  const [params] = model.init(key(seed), INPUT);
  return { model, params };
};

describe('evaluate', () => {
  // the CNN on fewer rows (still a full chunk and a partial one): its reference is slow
  it.each([
    ['the MLP', MLP, [train, test]],
    ['a small CNN', CNN, [subset(mnist.train, CHUNK + 100)]],
  ] as const)(
    'gives the bits of gather + softmaxCrossEntropy + argmax + softmax per chunk (%s)',
    (_, spec, splits) => {
      const { model, params } = setup(spec, 1);
      for (const ds of splits)
        expectSameBits(evaluate(model, params, ds), reference(model, params, ds));
    },
  );

  it('keeps NaN logits NaN in the loss and the confidences, as the ops do', () => {
    const { model, params } = setup(MLP, 2);
    // the output layer's bias is the one 1 x 10 leaf
    const poisoned = treeMap(params, (m) =>
      m.rows === 1 && m.columns === 10 ? m.clone().set(0, 3, Number.NaN) : m,
    );
    const got = evaluate(model, poisoned, test);
    expectSameBits(got, reference(model, poisoned, test));
    expect(Number.isNaN(got.loss)).toBe(true);
  });

  it('names the sample when a label has no score (a model with fewer outputs than classes)', () => {
    const model = modelFromSpec(specOf({ layers: [{ dense: 3 }] }), { input: INPUT });
    const [params] = model.init(key(0), INPUT);
    expect(() => evaluate(model, params, test)).toThrow(
      /sample \d+ has label \d, but the model gives only 3 scores/,
    );
  });
});

describe('evalPool', () => {
  const pools: Evaluator[] = [];
  afterAll(() => Promise.all(pools.map((p) => p.close())));
  const pool = (spec: ModelSpec, workers: number): Evaluator => {
    const p = evalPool({ spec, input: INPUT }, workers);
    pools.push(p);
    return p;
  };

  it.each([1, 2])(
    'with %i workers gives evaluate’s bits, split after split and step after step',
    async (workers) => {
      const { model, params } = setup(MLP, 3);
      const p = pool(MLP, workers);
      for (const ds of [train, test])
        expectSameBits(await p.evaluate(params, ds), evaluate(model, params, ds));
      // new parameters for the same pool, as after an epoch of training
      const next = setup(MLP, 4).params;
      expectSameBits(await p.evaluate(next, train), evaluate(model, next, train));
    },
  );

  it('runs concurrent calls one after the other, each with its own parameters', async () => {
    const { model, params } = setup(MLP, 5);
    const other = setup(MLP, 6).params;
    const p = pool(MLP, 2);
    const [a, b] = await Promise.all([p.evaluate(params, test), p.evaluate(other, test)]);
    expectSameBits(a, evaluate(model, params, test));
    expectSameBits(b, evaluate(model, other, test));
  });

  it('reads splits already in shared memory (sharedSplits) in place, with the same bits', async () => {
    const { model, params } = setup(MLP, 8);
    const data = sharedSplits({ train, test });
    expect(data.test.images.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(Buffer.from(data.test.images).equals(Buffer.from(test.images))).toBe(true);
    expectSameBits(await pool(MLP, 2).evaluate(params, data.test), evaluate(model, params, test));
  });

  it('rebuilds a CNN from its spec in the workers', async () => {
    const { model, params } = setup(CNN, 7);
    expectSameBits(await pool(CNN, 2).evaluate(params, test), evaluate(model, params, test));
  });

  it('rejects parameters that do not fit the model, naming them', async () => {
    const wrong = setup(specOf({ layers: [{ dense: 7 }, 'relu', { dense: 10 }] }), 0).params;
    await expect(pool(MLP, 2).evaluate(wrong, test)).rejects.toThrow(
      /evaluation worker: the parameters/,
    );
  });

  it('refuses a pool of no workers, and close is idempotent', async () => {
    expect(() => evalPool({ spec: MLP, input: INPUT }, 0)).toThrow(/at least 1 worker/);
    const p = evalPool({ spec: MLP, input: INPUT }, 1);
    await p.close();
    await p.close();
  });
});

describe('evalWorkerCount (DIFFTAPE_EVAL_WORKERS)', () => {
  it('unset or empty, evaluates on the calling thread (workers are opt-in)', () => {
    expect(evalWorkerCount(undefined)).toBe(0);
    expect(evalWorkerCount('')).toBe(0);
  });

  it('reads a count, 0 meaning the calling thread, and refuses anything else', () => {
    expect(evalWorkerCount('0')).toBe(0);
    expect(evalWorkerCount('2')).toBe(2);
    for (const bad of ['-1', '1.5', 'two', '65'])
      expect(() => evalWorkerCount(bad)).toThrow(
        /DIFFTAPE_EVAL_WORKERS must be an integer in 0..64/,
      );
  });
});
