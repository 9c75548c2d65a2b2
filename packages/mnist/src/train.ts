import {
  checkParamShapes,
  foldIn,
  type Key,
  key,
  keyData,
  NonFiniteError,
  softmaxCrossEntropy,
  split,
} from '@difftape/core';
import {
  batchIndices,
  formatShape,
  type GradientTransformation,
  initTrainState,
  type LayerSpec,
  type ModelSpec,
  makeStep,
  outputShapeOf,
  type Params,
  rateAt,
  type Shape,
  type SpecLayerShapes,
  sizeOf,
  specLayerShapes,
  specParamShapes,
  type TrainState,
} from '@difftape/nn';
import { loadCheckpoint, saveCheckpoint, writeFileAtomic } from '@difftape/nn/node';
import { gatherShiftedBatch } from './augment.js';
import { CLASSES, gatherBatch, gatherLabels, type Splits, subset } from './data.js';
import { DivergedError, describeNonFinite, diagnose, firstNonFiniteLeaf } from './diverged.js';
import { type Evaluator, evalPool, localEvaluator } from './eval-pool.js';
import { splitMetrics } from './evaluate.js';
import { makeDir } from './make-dir.js';
import { checkpointSpec, imageShape, modelFor } from './model.js';
import { learningRate, makeOptimiser } from './optimiser.js';
import { encodeTrainConfig, type TrainConfig } from './run/config.js';
import { runFiles } from './run/files.js';
import { decodeCheckpointMeta, encodeCheckpointMeta } from './run/meta.js';
import { appendRecord, type EpochRecord } from './run/metrics.js';

/** What the training loop tells its caller as it goes (progress bars, logs). */
export interface TrainHooks {
  /** Before an epoch's first step: its number, its step count, and the step it resumes from (0 if fresh). */
  readonly onEpochStart?: (epoch: number, steps: number, firstStep: number) => void;
  /** After each step, with the batch loss before the update and the learning rate the step used. */
  readonly onStep?: (epoch: number, stepInEpoch: number, loss: number, lr: number) => void;
  /** After an epoch's evaluation, with the line metrics.jsonl gets. */
  readonly onEpochEnd?: (record: EpochRecord) => void;
  /** Polled between steps: true stops the run after saving a checkpoint it can resume from. */
  readonly shouldStop?: () => boolean;
}

/** How to train, beyond the config (nothing here changes the result). */
export interface TrainOptions {
  /** Run core's checkFinite on every step (slower), not only to explain a non-finite loss. */
  readonly checkFinite?: boolean;
  /**
   * Worker threads for the per-epoch metrics (node): 0 (the default) evaluates on this thread.
   * The metrics are the same bits either way; the pool lives for this call.
   */
  readonly evalWorkers?: number;
}

/** Where a run stopped: a finished epoch count and steps into the next one. */
export interface Position {
  readonly epoch: number;
  readonly stepInEpoch: number;
}

/** The outcome of `train`. */
export interface TrainResult {
  readonly records: EpochRecord[];
  readonly params: Params;
  readonly checkpoint: string;
  readonly interrupted: Position | null;
}

/**
 * Keys of a run: one for the parameters, one per epoch's shuffle (by folding in the epoch), one for
 * augmentation and one for dropout (folded with the step). split's keys agree on their prefix, so
 * the first three are those of runs made before dropout.
 */
const runKeys = (seed: number): { init: Key; data: Key; augment: Key; dropout: Key } => {
  const [init, data, augment, dropout] = split(key(seed), 4);
  return { init, data, augment, dropout };
};

/** Where to start: a fresh run, or the position and state stored in a run's checkpoint. */
export interface Start {
  readonly state: TrainState<Params, unknown[]>;
  readonly position: Position;
}

const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * The most parameters a model may have (16.8 million: 134 MB as float64, about 0.5 GB with
 * gradients and optimiser state), so a typo like `{"dense": 2000000}` is refused, not allocated.
 */
export const MAX_MODEL_PARAMS = 2 ** 24;

/** Why a config cannot train on some data: the config field at fault and what is wrong. */
export interface TrainProblem {
  readonly field: 'batchSize' | 'model' | 'shift';
  readonly message: string;
}

/** A spec entry's kind, as the spec writes it: `"relu"`, `dense`, `conv2d`, ... */
const kindOf = (entry: LayerSpec): string =>
  typeof entry === 'string' ? entry : (Object.keys(entry)[0] ?? 'layer');

/**
 * Why a model does not output one score per class, judged by its output shape (layers after the
 * last dense one, like dropout or an activation, keep its width), or undefined when it does.
 */
const outputProblem = (
  spec: ModelSpec,
  layers: readonly SpecLayerShapes[],
  inputs: number,
): string | undefined => {
  const output = layers.at(-1)?.output ?? [inputs];
  const width = sizeOf(output);
  if (width === CLASSES) return undefined;
  // The layer that set the width: the last one whose output size differs from its input's.
  let i = layers.length - 1;
  while (i >= 0 && sizeOf(layers[i]!.output) === (i === 0 ? inputs : sizeOf(layers[i - 1]!.output)))
    i--;
  const entry = spec.layers[i];
  const what =
    spec.layers.length === 0
      ? `it has no layers, so its output is the ${inputs}-pixel input`
      : entry === undefined
        ? `no layer changes the width of the ${inputs}-pixel input`
        : kindOf(entry) === 'dense'
          ? `its last dense layer has ${width} units (layer ${i})`
          : `layer ${i} (${kindOf(entry)}) leaves ${width} values per sample (output shape ${formatShape(output)})`;
  return `the model must output one score per class (${CLASSES}), but ${what}; end it with {"dense": ${CLASSES}}`;
};

/**
 * Why `config` cannot train on `data` (empty: it can): at least one full batch is needed, and a
 * model with one output per class, checked from the spec before anything is allocated or written.
 */
export const trainProblems = (config: TrainConfig, data: Splits): TrainProblem[] => {
  const problems: TrainProblem[] = [];
  const samples = Math.min(config.trainSize, data.train.count);
  if (config.batchSize > samples)
    problems.push({
      field: 'batchSize',
      message: `batch size ${config.batchSize} is larger than the ${samples} training samples`,
    });
  const { rows, cols } = data.train;
  // A shift of the whole image or more leaves nothing of the digit.
  if (config.shift >= Math.min(rows, cols))
    problems.push({
      field: 'shift',
      message: `a shift of ${config.shift} pixels moves every ${rows}x${cols} image out of its frame; expected at most ${Math.min(rows, cols) - 1}`,
    });
  const inputs = rows * cols;
  let layers: SpecLayerShapes[];
  try {
    layers = specLayerShapes(config.model, imageShape(data.train));
    // a spec's own "input" must fit the images: WithInput checks that (Serial needs a layer, and
    // a spec without layers is refused below for its output width)
    if (config.model.layers.length > 0)
      outputShapeOf(modelFor(config.model, data.train), imageShape(data.train));
  } catch (e) {
    // a layer that does not fit its input, named with its index and the shapes
    problems.push({ field: 'model', message: (e as Error).message });
    return problems;
  }
  const params = layers.reduce(
    (n, { params: l }) => n + ('W' in l ? l.W[0] * l.W[1] + l.b[1] : 0),
    0,
  );
  if (params > MAX_MODEL_PARAMS)
    problems.push({
      field: 'model',
      message: `the model has ${params} parameters for ${inputs}-pixel images, more than the limit of ${MAX_MODEL_PARAMS}`,
    });
  const output = outputProblem(config.model, layers, inputs);
  if (output !== undefined) problems.push({ field: 'model', message: output });
  return problems;
};

/**
 * Trains `config` on `data`, writing `config.json`, `metrics.jsonl` (epoch 0 is before training) and
 * a resumable checkpoint after every epoch into `runDir`. With `resume`, continues a stopped run
 * exactly where it was: the result is bit-identical to an uninterrupted run. A NaN or ±Infinity
 * in a step's loss or updated parameters throws a `DivergedError` naming step, epoch, op and layer;
 * the run folder keeps its last good checkpoint.
 */
export const train = async (
  config: TrainConfig,
  data: Splits,
  runDir: string,
  hooks: TrainHooks = {},
  resume?: Start,
  options: TrainOptions = {},
): Promise<TrainResult> => {
  const workers = options.evalWorkers ?? 0;
  const pool =
    workers > 0
      ? evalPool({ spec: config.model, input: imageShape(data.train) }, workers)
      : undefined;
  try {
    return await trainWith(config, data, runDir, hooks, resume, options, pool);
  } finally {
    await pool?.close();
  }
};

/** `train` with its metrics from `pool` (undefined: on this thread). */
const trainWith = async (
  config: TrainConfig,
  data: Splits,
  runDir: string,
  hooks: TrainHooks,
  resume: Start | undefined,
  options: TrainOptions,
  pool: Evaluator | undefined,
): Promise<TrainResult> => {
  const files = runFiles(runDir);
  const trainSet = subset(data.train, config.trainSize);
  const testSet = subset(data.test, config.testSize);
  const model = modelFor(config.model, trainSet);
  const keys = runKeys(config.seed);
  const problems = trainProblems(config, data);
  if (problems.length > 0) throw new RangeError(problems.map((p) => p.message).join('; '));
  const stepsPerEpoch = batchIndices(keys.data, trainSet.count, config.batchSize).length;
  const optimiser = makeOptimiser(config, stepsPerEpoch);
  const lr = learningRate(config, stepsPerEpoch);
  const step = makeStep(model, softmaxCrossEntropy, optimiser, {
    checkFinite: options.checkFinite === true,
    key: keys.dropout,
  });
  const checkedStep = makeStep(model, softmaxCrossEntropy, optimiser, {
    checkFinite: true,
    key: keys.dropout,
  });
  const records: EpochRecord[] = [];
  const evaluator = pool ?? localEvaluator(model);

  const measure = async (
    epoch: number,
    seconds: number,
    steps: number,
    params: Params,
  ): Promise<EpochRecord> => {
    const record: EpochRecord = {
      epoch,
      seconds,
      steps,
      train: splitMetrics(await evaluator.evaluate(params, trainSet)),
      test: splitMetrics(await evaluator.evaluate(params, testSet)),
    };
    appendRecord(files.metrics, record);
    records.push(record);
    hooks.onEpochEnd?.(record);
    return record;
  };
  const save = (state: TrainState<Params, unknown[]>, position: Position) =>
    saveCheckpoint(files.checkpoint, {
      params: state.params,
      optimiserState: state.optState,
      spec: checkpointSpec(config.model, trainSet),
      meta: encodeCheckpointMeta({
        ...position,
        step: state.step,
        key: keyData(keys.init),
        config,
      }),
    });

  let state: TrainState<Params, unknown[]>;
  let position: Position;
  if (resume) {
    checkResume(resume, config, imageShape(trainSet), optimiser, stepsPerEpoch, files.checkpoint);
    ({ state, position } = resume);
  } else {
    makeDir(runDir);
    writeFileAtomic(files.config, encodeTrainConfig(config));
    state = initTrainState(model.init(keys.init, imageShape(trainSet))[0], optimiser);
    position = { epoch: 0, stepInEpoch: 0 };
    await measure(0, 0, 0, state.params);
    save(state, position);
  }

  for (let epoch = position.epoch + 1; epoch <= config.epochs; epoch++) {
    const batches = batchIndices(foldIn(keys.data, epoch), trainSet.count, config.batchSize);
    const first = epoch === position.epoch + 1 ? position.stepInEpoch : 0;
    hooks.onEpochStart?.(epoch, batches.length, first);
    const started = performance.now();
    for (let s = first; s < batches.length; s++) {
      const indices = batches[s]!;
      const x = config.shift
        ? gatherShiftedBatch(
            trainSet,
            indices,
            foldIn(foldIn(keys.augment, epoch), s),
            config.shift,
          )
        : gatherBatch(trainSet, indices);
      const batch = { x, y: gatherLabels(trainSet, indices) };
      const site = { step: state.step + 1, epoch };
      let next: TrainState<Params, unknown[]>;
      let stats: { loss: number };
      try {
        [next, stats] = step(state, batch);
      } catch (e) {
        if (e instanceof NonFiniteError)
          throw new DivergedError(`step ${site.step} (epoch ${epoch}): ${describeNonFinite(e)}`);
        throw e;
      }
      // Every step: a NaN caught here names its op; caught at the epoch's end it names nothing.
      if (!Number.isFinite(stats.loss) || firstNonFiniteLeaf(next.params) !== undefined) {
        const before = state;
        throw diagnose(site, () => checkedStep(before, batch), stats.loss, next.params);
      }
      state = next;
      hooks.onStep?.(epoch, s + 1, stats.loss, rateAt(lr, state.step - 1));
      if (s % 25 === 24) await yieldToEventLoop(); // lets a Ctrl-C handler run
      if (hooks.shouldStop?.() && s + 1 < batches.length) {
        const stopped = { epoch: epoch - 1, stepInEpoch: s + 1 };
        save(state, stopped);
        return {
          records,
          params: state.params,
          checkpoint: files.checkpoint,
          interrupted: stopped,
        };
      }
    }
    const seconds = (performance.now() - started) / 1000;
    await measure(epoch, Number(seconds.toFixed(3)), state.step, state.params);
    save(state, { epoch, stepInEpoch: 0 });
    if (hooks.shouldStop?.() && epoch < config.epochs) {
      return {
        records,
        params: state.params,
        checkpoint: files.checkpoint,
        interrupted: { epoch, stepInEpoch: 0 },
      };
    }
  }
  return { records, params: state.params, checkpoint: files.checkpoint, interrupted: null };
};

/** The state stored in a run's checkpoint, to pass to `train` as `resume`, and its config. */
export const loadStart = (runDir: string): Start & { config: TrainConfig } => {
  const path = runFiles(runDir).checkpoint;
  const loaded = loadCheckpoint(path);
  const { epoch, stepInEpoch, step, config } = decodeCheckpointMeta(loaded.meta, path);
  if (!Array.isArray(loaded.optimiserState)) {
    throw new Error(`checkpoint: ${path}: holds no optimiser state, so the run cannot resume`);
  }
  return {
    state: { params: loaded.params, optState: loaded.optimiserState, step },
    position: { epoch, stepInEpoch },
    config,
  };
};

/**
 * Refuses a resume whose checkpoint does not fit the run: parameters of another model, an
 * optimiser state of another optimiser, or a position that does not add up with the step count.
 */
const checkResume = (
  resume: Start,
  config: TrainConfig,
  inputShape: Shape,
  optimiser: GradientTransformation<unknown[]>,
  stepsPerEpoch: number,
  path: string,
): void => {
  const what = `checkpoint: ${path}`;
  const { state, position } = resume;
  checkParamShapes(
    state.params,
    specParamShapes(config.model, inputShape),
    `${what}: its parameters do not fit the run's model`,
  );
  checkParamShapes(
    state.optState,
    optimiser.init(state.params),
    `${what}: its optimiser state does not fit the run's optimiser`,
  );
  const expected = position.epoch * stepsPerEpoch + position.stepInEpoch;
  if (position.stepInEpoch >= stepsPerEpoch || state.step !== expected) {
    throw new Error(
      `${what}: says it stopped ${position.stepInEpoch} steps into epoch ${position.epoch + 1} ` +
        `after ${state.step} steps in all, which does not add up with ${stepsPerEpoch} steps per epoch`,
    );
  }
};
