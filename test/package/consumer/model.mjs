// A user's program on the installed packages: a small classifier from a JSON spec, trained with
// adam through makeStep. Shared by the node script and the browser bundle.
import { key, matmul, normal, rawOf, softmaxCrossEntropy, split } from '@difftape/core';
import { adam, argmaxRows, initTrainState, makeStep, modelFromSpec } from '@difftape/nn';

export const spec = { layers: [{ dense: 16 }, 'relu', { dense: 3 }] };

/** 64 points in 4-D, labelled by the largest of three fixed projections (a learnable task). */
export const makeData = () => {
  const [kx, kw] = split(key(7));
  const x = normal(kx, 64, 4);
  const labels = Array.from(argmaxRows(matmul(x, normal(kw, 4, 3))));
  return { x, labels };
};

/** Trains `steps` full-batch adam steps from a seeded init; returns the model, state and losses. */
export const train = (steps) => {
  const model = modelFromSpec(spec);
  const optimiser = adam(0.05);
  const step = makeStep(model, softmaxCrossEntropy, optimiser);
  const { x, labels } = makeData();
  let state = initTrainState(model.init(key(1), [x.columns])[0], optimiser);
  const losses = [];
  for (let i = 0; i < steps; i++) {
    const [next, { loss }] = step(state, { x, y: labels });
    losses.push(loss);
    state = next;
  }
  return { model, optimiser, state, losses, x, labels };
};

/** The model's logits on `x` as a flat array (row-major). */
export const predict = (model, params, x) => Array.from(rawOf(model.apply(params, x)).to1DArray());
