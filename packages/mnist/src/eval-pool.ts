import { Worker } from 'node:worker_threads';
import { type Matrix, treeFlatten } from '@difftape/core';
import { storageOf } from '@difftape/core/kernels';
import type { Layer, ModelSpec, Params, Shape } from '@difftape/nn';
import type { Dataset, Splits } from './data.js';
import {
  type ChunkResults,
  chunkCount,
  type Evaluation,
  evaluate,
  finishEvaluation,
} from './evaluate.js';

/**
 * Evaluation on worker threads (node only; the browser keeps `evaluate`). Each chunk's numbers do
 * not depend on which thread computes it, and the mean loss is summed from the chunks' losses in
 * chunk order on the calling thread, so a pool of any size gives `evaluate`'s bits.
 */

/** Evaluates parameters on datasets: on the calling thread, or on a pool of worker threads. */
export interface Evaluator {
  /** `evaluate(model, params, ds)`'s result, bit for bit; calls run one after the other. */
  readonly evaluate: (params: Params, ds: Dataset) => Promise<Evaluation>;
  /** Ends the pool's threads (nothing for the calling-thread evaluator); idempotent. */
  readonly close: () => Promise<void>;
}

/** What a worker needs to rebuild the model: its spec and the input shape it is bound to. */
export interface WorkerModel {
  readonly spec: ModelSpec;
  /** The shape of one sample when the spec has no `input` of its own (the spec's wins, as in modelFromSpec). */
  readonly input: Shape;
}

/** A job: evaluate chunks of `ds` (taking the next chunk from `next`) into `results`. */
export interface EvalJob {
  readonly id: number;
  readonly ds: Dataset;
  readonly leaves: readonly { rows: number; cols: number; data: Float64Array }[];
  readonly results: ChunkResults;
  /** [next chunk to take, workers finished]: shared by the workers of one job. */
  readonly sync: Int32Array;
}

/** A worker's answer to a job. */
export type EvalReply = { readonly id: number; readonly error?: string };

/** The evaluator on the calling thread (what a pool of 0 workers is). */
export const localEvaluator = (model: Layer): Evaluator => ({
  evaluate: async (params, ds) => evaluate(model, params, ds),
  close: async () => {},
});

/**
 * How many evaluation threads the CLI uses: `DIFFTAPE_EVAL_WORKERS`, 0 (the main thread) when
 * unset. Opt-in, because two workers add about 150–250 MB of peak RSS (each loads the library and
 * its own heap), which takes the default run past its 400 MB budget, while `bench:eval` measured
 * them saving about 0.4 s per evaluation of both splits on an idle machine (0.90 → 0.52 s).
 */
export const evalWorkerCount = (
  env: string | undefined = process.env.DIFFTAPE_EVAL_WORKERS,
): number => {
  if (env === undefined || env === '') return 0;
  const n = Number(env);
  if (!Number.isInteger(n) || n < 0 || n > 64)
    throw new RangeError(`DIFFTAPE_EVAL_WORKERS must be an integer in 0..64, got '${env}'`);
  return n;
};

/** A copy of `bytes` in shared memory, or `bytes` itself when it is there already. */
const shared = (bytes: Uint8Array): Uint8Array => {
  if (bytes.buffer instanceof SharedArrayBuffer) return bytes;
  const copy = new Uint8Array(new SharedArrayBuffer(bytes.length));
  copy.set(bytes);
  return copy;
};

/**
 * `data` as the CLI evaluates it: in shared memory when `evalWorkerCount` starts a pool for it
 * (so the caller, keeping only the result, holds the pixels once), else as it is.
 */
export const forEvalWorkers = (data: Splits): Splits =>
  evalWorkerCount() > 0 ? sharedSplits(data) : data;

/** Shared copies of datasets already given to a pool: each is copied once per run. */
const sharedCopies = new WeakMap<Uint8Array, Uint8Array>();
const sharedOnce = (bytes: Uint8Array): Uint8Array => {
  let copy = sharedCopies.get(bytes);
  if (copy === undefined) {
    copy = shared(bytes);
    sharedCopies.set(bytes, copy);
  }
  return copy;
};

/**
 * The splits with their bytes in shared memory, which workers read without a copy: a caller that
 * keeps only these (not the originals) holds the pixels once, not twice.
 */
export const sharedSplits = (data: Splits): Splits => {
  const of = (ds: Dataset): Dataset => ({
    ...ds,
    images: shared(ds.images),
    labels: shared(ds.labels),
  });
  return { train: of(data.train), test: of(data.test) };
};

const sharedResults = (count: number): ChunkResults => ({
  predictions: new Int32Array(new SharedArrayBuffer(4 * count)),
  confidences: new Float64Array(new SharedArrayBuffer(8 * count)),
  losses: new Float64Array(new SharedArrayBuffer(8 * chunkCount(count))),
});

const fromSource = import.meta.url.endsWith('.ts');

/**
 * A worker running eval-worker: the built .js as is; from the TypeScript sources (tsx, vitest),
 * through eval-worker-source.mjs, which registers tsx first (node 20 gives workers none of the
 * parent's loader hooks), with the condition that resolves the packages to their sources.
 */
const startWorker = (model: WorkerModel): Worker => {
  if (!fromSource)
    return new Worker(new URL('./eval-worker.js', import.meta.url), { workerData: model });
  const condition = '--conditions=@difftape/source';
  const execArgv = process.execArgv.includes(condition)
    ? process.execArgv
    : [...process.execArgv, condition];
  return new Worker(new URL('./eval-worker-source.mjs', import.meta.url), {
    workerData: model,
    execArgv,
  });
};

/**
 * A pool of `workers` threads evaluating `model` (rebuilt in each from its spec). Jobs run one at
 * a time; the threads take chunks from a shared counter, so a busy core slows nobody else's share.
 * Idle threads do not keep the process alive. Call `close` when done.
 */
export const evalPool = (model: WorkerModel, workers: number): Evaluator => {
  if (!Number.isInteger(workers) || workers < 1)
    throw new RangeError(`evalPool: expected at least 1 worker, got ${workers}`);
  const threads = Array.from({ length: workers }, () => startWorker(model));
  let nextId = 0;
  let running:
    | { id: number; replies: number; resolve: () => void; reject: (e: Error) => void }
    | undefined;
  let broken: Error | undefined;
  let closed = false;
  let queue = Promise.resolve();
  const idle = () => {
    for (const t of threads) t.unref();
  };
  const fail = (e: Error) => {
    broken ??= e;
    running?.reject(e);
    running = undefined;
    idle();
  };
  for (const t of threads) {
    t.on('message', (reply: EvalReply) => {
      if (running === undefined || reply.id !== running.id) return;
      if (reply.error !== undefined) return fail(new Error(reply.error));
      if (++running.replies === workers) {
        const done = running;
        running = undefined;
        idle();
        done.resolve();
      }
    });
    t.on('error', (e) => fail(new Error(`evaluation worker: ${e.message}`, { cause: e })));
    t.on('exit', (code) => {
      if (!closed) fail(new Error(`evaluation worker exited with code ${code}`));
    });
  }
  idle();

  const run = async (params: Params, ds: Dataset): Promise<Evaluation> => {
    if (broken) throw broken;
    const leaves = treeFlatten<Matrix>(params).leaves.map((m) => ({
      rows: m.rows,
      cols: m.columns,
      data: storageOf(m).slice(),
    }));
    const results = sharedResults(ds.count);
    const sync = new Int32Array(new SharedArrayBuffer(8));
    const job: EvalJob = {
      id: nextId++,
      ds: { ...ds, images: sharedOnce(ds.images), labels: sharedOnce(ds.labels) },
      leaves,
      results,
      sync,
    };
    await new Promise<void>((resolve, reject) => {
      running = { id: job.id, replies: 0, resolve, reject };
      for (const t of threads) {
        t.ref();
        t.postMessage(job);
      }
    });
    // Each worker counted itself with an atomic add after writing its chunks: reading the count
    // atomically makes those writes visible here.
    if (Atomics.load(sync, 1) !== workers) throw new Error('evalPool: a worker did not finish');
    return finishEvaluation(ds, {
      predictions: results.predictions.slice(),
      confidences: results.confidences.slice(),
      losses: results.losses.slice(),
    });
  };

  return {
    evaluate: (params, ds) => {
      const result = queue.then(() => run(params, ds));
      queue = result.then(
        () => {},
        () => {},
      );
      return result;
    },
    close: async () => {
      if (closed) return;
      closed = true;
      await Promise.all(threads.map((t) => t.terminate()));
    },
  };
};
