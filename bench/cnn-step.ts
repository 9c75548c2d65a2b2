/**
 * Training steps of a model spec (default packages/mnist/models/cnn.json) as bench:epoch runs them:
 * `makeStep` on `modelFromSpec`, SGD + L1 max-column, batches of 50 gathered from the bytes. A
 * target for `node --cpu-prof`; prints the mean milliseconds per step.
 *
 * Run: `node --conditions=@difftape/source --import tsx bench/cnn-step.ts [steps] [spec file]`
 */
import { readFileSync } from 'node:fs';
import { foldIn, type Key, key, softmaxCrossEntropy, split } from '@difftape/core';
import { gatherBatch, gatherLabels, loadIdxDir } from '@difftape/mnist';
import {
  addRegulariser,
  batchIndices,
  chain,
  initTrainState,
  l1MaxColumn,
  makeStep,
  modelFromSpec,
  sgd,
} from '@difftape/nn';

const steps = Number(process.argv[2] ?? 100);
const specFile = process.argv[3] ?? new URL('../packages/mnist/models/cnn.json', import.meta.url);
const { train } = loadIdxDir();
const model = modelFromSpec(JSON.parse(readFileSync(specFile, 'utf8')));
const optimiser = chain(addRegulariser(l1MaxColumn, 1e-4), sgd(0.05));
const step = makeStep(model, softmaxCrossEntropy, optimiser);
const [initKey, dataKey] = split(key(0), 2) as [Key, Key];
let state = initTrainState(model.init(initKey, [1, train.rows, train.cols])[0], optimiser);
const batches = batchIndices(foldIn(dataKey, 0), train.count, 50).slice(0, steps);
const start = performance.now();
for (const b of batches)
  [state] = step(state, { x: gatherBatch(train, b), y: gatherLabels(train, b) });
console.log(
  `${((performance.now() - start) / batches.length).toFixed(2)} ms per step (${batches.length} steps)`,
);
