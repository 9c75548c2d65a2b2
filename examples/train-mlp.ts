// The same kind of network with @difftape/nn, trained with the report's update rule
// W ← W − η(∇W + λ∂R(W)). Run: npx -y pnpm@12.21.0 example examples/train-mlp.ts
import { foldIn, key, normal, softmaxCrossEntropy } from '@difftape/core';
import {
  addRegulariser,
  chain,
  Dense,
  initTrainState,
  l1MaxColumn,
  makeStep,
  normalInit,
  Relu,
  Serial,
  sgd,
} from '@difftape/nn';

const root = key(0);
const x = normal(foldIn(root, 1), 16, 4); // 16 samples, 4 features
const labels = Array.from({ length: 16 }, (_, i) => i % 3);

const model = Serial(Dense(8, { init: normalInit(0.5) }), Relu, Dense(3));
const optimiser = chain(addRegulariser(l1MaxColumn, 1e-4), sgd(0.05));
const step = makeStep(model, softmaxCrossEntropy, optimiser);
const [params] = model.init(foldIn(root, 2), [4]); // samples of 4 features
let state = initTrainState(params, optimiser);
const losses: number[] = [];
for (let i = 0; i < 100; i++) {
  const [next, { loss }] = step(state, { x, y: labels });
  state = next;
  losses.push(loss);
}
const first = losses[0] ?? Number.NaN;
const last = losses.at(-1) ?? Number.NaN;
console.log(`loss ${first.toFixed(4)} → ${last.toFixed(4)} after ${state.step} steps`);
if (!(last < first)) throw new Error('training did not lower the loss');
