// A strict TypeScript user of the shipped .d.ts files (type-checked, not run).
import {
  add,
  grad,
  type Key,
  key,
  Matrix,
  matmul,
  normal,
  relu,
  softmaxCrossEntropy,
  split,
  type Tensor,
  valueAndGrad,
} from '@difftape/core';
import { arbMatrix } from '@difftape/core/testing';
import {
  adam,
  addRegulariser,
  applyUpdates,
  chain,
  type GradientTransformation,
  initTrainState,
  type Layer,
  type LoadedCheckpoint,
  l1MaxColumn,
  makeStep,
  modelFromSpec,
  type ParamsOf,
  sgd,
  type TrainState,
} from '@difftape/nn';
import { loadCheckpoint, saveCheckpoint } from '@difftape/nn/node';
import type fc from 'fast-check';

type Params = { readonly W: Matrix; readonly b: Matrix };

const [k1, k2]: Key[] = split(key(0));
const x: Matrix = normal(k1!, 8, 3);
const labels: number[] = [0, 1, 2, 0, 1, 2, 0, 1];
const params: Params = { W: normal(k2!, 3, 3), b: Matrix.zeros(1, 3) };

const loss = (p: Params): Tensor => softmaxCrossEntropy(relu(add(matmul(x, p.W), p.b)), labels);
const [value, g]: [number, Params] = valueAndGrad(loss)(params);
const g2: Params = grad(loss)(params);
const sgdStep = applyUpdates(params, g2);

const model: Layer = modelFromSpec({ layers: [{ dense: 4 }, 'relu', { dense: 3 }] });
const optimiser: GradientTransformation<unknown[]> = chain(
  addRegulariser(l1MaxColumn, 1e-4),
  adam(1e-2),
);
const step = makeStep(model, softmaxCrossEntropy, optimiser);
const state: TrainState<ParamsOf<typeof model>, unknown[]> = initTrainState(
  model.init(key(1), [3])[0],
  optimiser,
);
const [next, { loss: batchLoss }]: [
  TrainState<ParamsOf<typeof model>, unknown[]>,
  { loss: number },
] = step(state, {
  x,
  y: labels,
});
saveCheckpoint('model.safetensors', { params: next.params, optimiserState: next.optState });
const loaded: LoadedCheckpoint = loadCheckpoint('model.safetensors');
const arbitrary: fc.Arbitrary<Matrix> = arbMatrix({ rows: 2, cols: 2 });

// @ts-expect-error: a layer's init needs the input shape
model.init(key(1));
// @ts-expect-error: sgd takes a learning rate, not a string
sgd('fast');

export { arbitrary, batchLoss, g, loaded, sgdStep, value };
