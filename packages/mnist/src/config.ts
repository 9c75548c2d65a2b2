import {
  adam,
  addRegulariser,
  chain,
  cosineDecay,
  decodeOrThrow,
  exactObject,
  type GradientTransformation,
  type LearningRate,
  l1MaxColumn,
  l2,
  ModelSpec,
  momentum,
  NonNegativeInt,
  NonNegativeNumber,
  PositiveInt,
  PositiveNumber,
  Probability,
  reportModelSpec,
  sgd,
} from '@difftape/nn';
import * as t from 'io-ts';

const Optimiser = t.keyof(
  { sgd: null, momentum: null, nesterov: null, adam: null },
  'one of sgd, momentum, nesterov, adam',
);
const Schedule = t.keyof({ constant: null, cosine: null }, 'one of constant, cosine');

/** The update rules the CLI offers. */
export const OPTIMISERS = Object.keys(Optimiser.keys) as OptimiserName[];
/** One of `OPTIMISERS`. */
export type OptimiserName = t.TypeOf<typeof Optimiser>;

/** The learning-rate schedules the CLI offers. */
export const SCHEDULES = Object.keys(Schedule.keys) as ScheduleName[];
/** One of `SCHEDULES`. */
export type ScheduleName = t.TypeOf<typeof Schedule>;

/** Everything that decides a training run; with the seed it fixes the run bit for bit. */
export interface TrainConfig {
  readonly epochs: number;
  readonly batchSize: number;
  readonly lr: number;
  /** Weight of the report's L1 max-column regulariser on every parameter (0 turns it off). */
  readonly lambda: number;
  /** L2 weight decay on the weight matrices (not the biases); 0 in the report. */
  readonly weightDecay?: number;
  /** Translate each training image by up to this many pixels, fresh every epoch; 0 in the report. */
  readonly shift?: number;
  readonly optimiser: OptimiserName;
  /** Momentum's β (momentum and nesterov only). */
  readonly beta: number;
  readonly schedule: ScheduleName;
  readonly seed: number;
  /** Use the first n training / test samples. */
  readonly trainSize: number;
  readonly testSize: number;
  readonly model: ModelSpec;
}

/**
 * The report's recipe: 784-100-100-10 ReLU MLP, N(0, 0.1) weights, zero biases, mean cross-entropy,
 * SGD with batch 50 and lr 0.05 for 30 epochs, L1 max-column λ = 1e-4 (its code; its text says 1e-3).
 */
export const reportConfig: TrainConfig = {
  epochs: 30,
  batchSize: 50,
  lr: 0.05,
  lambda: 1e-4,
  optimiser: 'sgd',
  beta: 0.9,
  schedule: 'constant',
  seed: 0,
  trainSize: 60_000,
  testSize: 10_000,
  model: reportModelSpec,
};

/** The update rule of a config: L1 max-column subgradient added to the gradient, then the optimiser. */
export const makeOptimiser = (
  config: TrainConfig,
  stepsPerEpoch: number,
): GradientTransformation<unknown[]> => {
  const lr: LearningRate =
    config.schedule === 'cosine'
      ? cosineDecay(config.lr, Math.max(1, config.epochs * stepsPerEpoch))
      : config.lr;
  const base =
    config.optimiser === 'sgd'
      ? sgd(lr)
      : config.optimiser === 'adam'
        ? adam(lr)
        : momentum(lr, config.beta, { nesterov: config.optimiser === 'nesterov' });
  const isWeight = (path: string) => path.endsWith('W');
  return config.weightDecay
    ? chain(
        addRegulariser(l1MaxColumn, config.lambda),
        addRegulariser(l2, config.weightDecay, isWeight),
        base,
      )
    : chain(addRegulariser(l1MaxColumn, config.lambda), base);
};

/** The codec of each config field, so CLI flags can be checked one by one. */
export const trainConfigFields = {
  epochs: PositiveInt,
  batchSize: PositiveInt,
  lr: PositiveNumber,
  lambda: NonNegativeNumber,
  optimiser: t.keyof(
    { sgd: null, momentum: null, nesterov: null, adam: null },
    'one of sgd, momentum, nesterov, adam',
  ),
  beta: Probability,
  schedule: Schedule,
  seed: NonNegativeInt,
  trainSize: PositiveInt,
  testSize: PositiveInt,
  model: ModelSpec,
};

/** Config fields that may be absent (added after the first runs were written). */
export const optionalConfigFields = { weightDecay: NonNegativeNumber, shift: NonNegativeInt };

/** The io-ts codec of a training config: what `config.json` holds and what CLI flags must decode to. */
export const TrainConfigCodec = exactObject(
  trainConfigFields,
  optionalConfigFields,
  'a training config',
);

/** A training config from untrusted JSON (a run's config.json); throws one line per problem. */
export const decodeTrainConfig = (value: unknown, what: string): TrainConfig =>
  decodeOrThrow(TrainConfigCodec, value, what);
