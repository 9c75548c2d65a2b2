import { key, Matrix, softmaxCrossEntropy, split, valueAndGrad } from '@difftape/core';
import {
  gatherBatch,
  gatherLabels,
  loadIdxDir,
  makeOptimiser,
  reportConfig,
} from '@difftape/mnist';
import { initTrainState, makeStep, modelFromSpec, type Params } from '@difftape/nn';
import type { DenseLayer } from '../baseline.js';

/** The report's workload for one training step: its batch, model, step and gradient. */

export const BATCH = 50;
/** Steps per epoch: 60 000 training images in batches of 50. */
export const EPOCH_STEPS = 1200;

export const WORKLOAD =
  '784-100-100-10 ReLU MLP, batch 50 (MNIST train[0..49], pixels/255), mean softmax cross-entropy, SGD lr 0.05 + L1 max-column λ 1e-4';

/** Whether a layer's parameters are a dense layer's `{ W, b }` (activations have `{}`). */
const isDense = (p: unknown): p is DenseLayer =>
  typeof p === 'object' &&
  p !== null &&
  'W' in p &&
  'b' in p &&
  p.W instanceof Matrix &&
  p.b instanceof Matrix;

/** The dense layers of a serial model's parameter tree (or its gradients), in order. */
export const denseLayers = (params: unknown): DenseLayer[] => {
  if (!Array.isArray(params))
    throw new Error("train-step: expected a serial model's list of layers");
  return params.filter(isDense).map(({ W, b }) => ({ W, b }));
};

/** The report's workload, its difftape step and gradient, and the same weights as plain layers. */
export const setUp = () => {
  const { train } = loadIdxDir();
  const firstBatch = Array.from({ length: BATCH }, (_, i) => i);
  const x = gatherBatch(train, firstBatch);
  const labels = gatherLabels(train, firstBatch);
  const model = modelFromSpec(reportConfig.model);
  // The report run's initial weights: train.ts's init key is the first half of key(seed).
  const [initKey] = split(key(reportConfig.seed), 2);
  const [params] = model.init(initKey, [x.columns]);
  const optimiser = makeOptimiser(reportConfig, EPOCH_STEPS);
  return {
    train,
    x,
    labels,
    params,
    layers: denseLayers(params),
    state0: initTrainState(params, optimiser),
    step: makeStep(model, softmaxCrossEntropy, optimiser),
    lossAndGrad: valueAndGrad((p: Params) => softmaxCrossEntropy(model.apply(p, x), labels)),
    hyper: { lr: reportConfig.lr, lambda: reportConfig.lambda },
  };
};
/** What `setUp` gives. */
export type Workload = ReturnType<typeof setUp>;
