import { key } from '@difftape/core';
import { gatherBatch, gatherLabels } from '@difftape/mnist';
import { batchIndices } from '@difftape/nn';
import { type MemoryRun, memoryRun } from '../memory.js';
import { oneHotTf, type Tf, type TfParams, type tfjsWorkload, toTf } from '../tfjs.js';
import { BATCH, type Workload } from './workload.js';

/** Chained steps that show whether memory accumulates: an epoch of difftape, a run of tfjs. */

/** Chained tfjs steps of the leak check (tfjs is the slowest; the count only has to be large). */
const TFJS_LEAK_STEPS = 100;

/** One epoch of chained difftape steps, batches gathered on the fly as in training. */
export const difftapeEpoch = (w: Workload): Promise<MemoryRun> => {
  const order = batchIndices(key(1), w.train.count, BATCH);
  let state = w.state0;
  return memoryRun(order.length, (i) => {
    const idx = order[i]!;
    const [next, { loss }] = w.step(state, {
      x: gatherBatch(w.train, idx),
      y: gatherLabels(w.train, idx),
    });
    state = next;
    return loss;
  });
};

/** Chained tfjs steps (new parameters kept, old ones disposed), counting live tensors. */
export const tfjsLeakRun = async (
  tf: Tf,
  tfw: ReturnType<typeof tfjsWorkload>,
  w: Workload,
  tfParams: TfParams,
): Promise<MemoryRun> => {
  const order = batchIndices(key(1), w.train.count, BATCH);
  let ps = tfParams.map((p) => p.clone());
  const run = await memoryRun(
    TFJS_LEAK_STEPS,
    (i) => {
      const idx = order[i]!;
      const [next, loss] = tf.tidy(() =>
        tfw.step(ps, toTf(tf, gatherBatch(w.train, idx)), oneHotTf(tf, gatherLabels(w.train, idx))),
      );
      const value = loss.dataSync()[0]!;
      loss.dispose();
      for (const p of ps) p.dispose();
      ps = next;
      return value;
    },
    () => tf.memory().numTensors,
  );
  for (const p of ps) p.dispose();
  return run;
};
