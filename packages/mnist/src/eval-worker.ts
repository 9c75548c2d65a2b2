import { parentPort, workerData } from 'node:worker_threads';
import { checkParamShapes, fromFlat, key, treeUnflatten } from '@difftape/core';
import { modelFromSpec, type Params } from '@difftape/nn';
import type { EvalJob, EvalReply, WorkerModel } from './eval-pool.js';
import { chunkCount, chunkEvaluator } from './evaluate.js';

/** An evaluation thread of eval-pool: rebuilds the model from its spec, then evaluates jobs' chunks. */

// workerData is what eval-pool passed: typed there, `any` here.
const { spec, input }: WorkerModel = workerData;
const model = modelFromSpec(spec, { input });
const [template] = model.init(key(0), spec.input ?? input);
const run = chunkEvaluator(model);
const port = parentPort!;

/** The job's parameters as the model's tree, checked against its shapes. */
const paramsOf = (job: EvalJob): Params => {
  try {
    const params: Params = treeUnflatten(
      template,
      job.leaves.map((l) => fromFlat(l.rows, l.cols, l.data)),
    );
    checkParamShapes(params, template, 'shapes');
    return params;
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    throw new Error(`evaluation worker: the parameters do not fit the model: ${why}`);
  }
};

port.on('message', (job: EvalJob) => {
  const reply: EvalReply = { id: job.id };
  try {
    const params = paramsOf(job);
    const chunks = chunkCount(job.ds.count);
    for (let c = Atomics.add(job.sync, 0, 1); c < chunks; c = Atomics.add(job.sync, 0, 1))
      run(params, job.ds, c, job.results);
    Atomics.add(job.sync, 1, 1);
    port.postMessage(reply);
  } catch (e) {
    port.postMessage({ ...reply, error: e instanceof Error ? e.message : String(e) });
  }
});
