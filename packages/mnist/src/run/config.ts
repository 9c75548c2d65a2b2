import {
  decodeOrThrow,
  ModelSpec,
  NonNegativeInt,
  NonNegativeNumber,
  PositiveInt,
  PositiveNumber,
  Probability,
  reportModelSpec,
} from '@difftape/nn';
import * as t from 'io-ts';
import { readDataText } from '../read-file.js';

const Optimiser = t.keyof(
  { sgd: null, momentum: null, nesterov: null, adam: null, adamw: null, rmsprop: null },
  'one of sgd, momentum, nesterov, adam, adamw, rmsprop',
);
const Schedule = t.keyof({ constant: null, cosine: null }, 'one of constant, cosine');

/** A field of the training config: its codec, the report's value, and its CLI flag's help. */
interface Field<C extends t.Mixed> {
  readonly codec: C;
  /** The report's value, as it is written in config.json. */
  readonly value: t.OutputOf<C>;
  readonly help: string;
  /** The flag's argument name, e.g. `<n>`. */
  readonly arg: string;
  /**
   * What a config.json without this field means: fields added after the first runs were written
   * decode to the value that behaves as the older code did.
   */
  readonly absent?: t.OutputOf<C>;
}

const field = <C extends t.Mixed>(codec: C, spec: Omit<Field<C>, 'codec'>): Field<C> => ({
  codec,
  ...spec,
});

/**
 * Every hyperparameter of a training run, one entry each: the config.json codec, `TrainConfig`,
 * the report's recipe and the `train` flags are all derived from this table, so adding a
 * hyperparameter is one edit here (and its use in training).
 */
export const CONFIG_FIELDS = {
  epochs: field(PositiveInt, { value: 30, arg: '<n>', help: 'passes over the training set' }),
  batchSize: field(PositiveInt, {
    value: 50,
    arg: '<n>',
    help: 'samples per step (the last partial batch is dropped)',
  }),
  lr: field(PositiveNumber, { value: 0.05, arg: '<x>', help: 'learning rate η' }),
  lambda: field(NonNegativeNumber, {
    value: 1e-4,
    arg: '<x>',
    help: "weight λ of the L1 max-column regulariser (the report's code: 1e-4; its text: 1e-3; 0: off)",
  }),
  weightDecay: field(NonNegativeNumber, {
    value: 0,
    absent: 0,
    arg: '<x>',
    help: 'weight decay on the weight matrices: L2 added to the gradient, or decoupled for the adamw optimiser (not in the report)',
  }),
  shift: field(NonNegativeInt, {
    value: 0,
    absent: 0,
    arg: '<px>',
    help: 'augment: translate each training image by up to px pixels (not in the report)',
  }),
  optimiser: field(Optimiser, {
    value: 'sgd',
    arg: '<name>',
    help: `update rule: ${Object.keys(Optimiser.keys).join(', ')}`,
  }),
  beta: field(Probability, {
    value: 0.9,
    arg: '<x>',
    help: 'momentum coefficient for momentum/nesterov',
  }),
  schedule: field(Schedule, {
    value: 'constant',
    arg: '<name>',
    help: `learning-rate schedule: ${Object.keys(Schedule.keys).join(', ')}`,
  }),
  seed: field(NonNegativeInt, {
    value: 0,
    arg: '<n>',
    help: 'PRNG seed: fixes initialisation and shuffling, bit for bit',
  }),
  trainSize: field(PositiveInt, {
    value: 60_000,
    arg: '<n>',
    help: 'use the first n training samples',
  }),
  testSize: field(PositiveInt, { value: 10_000, arg: '<n>', help: 'use the first n test samples' }),
  model: field(ModelSpec, {
    value: reportModelSpec,
    arg: '<file>',
    help: 'JSON model spec file, e.g. {"layers": [{"dense": 100}, "relu", {"dense": 10}]} (default: the report\'s)',
  }),
};

/** The name of a config field. */
export type ConfigField = keyof typeof CONFIG_FIELDS;

type Codecs = { [K in ConfigField]: (typeof CONFIG_FIELDS)[K]['codec'] };

const codecs = Object.fromEntries(
  Object.entries(CONFIG_FIELDS).map(([name, f]) => [name, f.codec]),
  // Object.fromEntries loses the key-by-key types that the table above fixes.
) as Codecs;

const strict = t.exact(t.type(codecs));

/** Fills the fields an older config.json lacks, and reads its American `optimizer` key. */
const upgrade = (u: unknown): unknown => {
  if (typeof u !== 'object' || u === null || Array.isArray(u)) return u;
  const filled: Record<string, unknown> = { ...u };
  if ('optimizer' in filled && !('optimiser' in filled)) {
    filled.optimiser = filled.optimizer;
    delete filled.optimizer;
  }
  for (const [name, f] of Object.entries(CONFIG_FIELDS))
    if (!(name in filled) && 'absent' in f) filled[name] = f.absent;
  return filled;
};

const FIELD_NAMES = Object.keys(CONFIG_FIELDS);

/** The codec of `config.json`: every field of `CONFIG_FIELDS`, no unknown keys. */
export const TrainConfigCodec = new t.Type<t.TypeOf<typeof strict>, t.OutputOf<typeof strict>>(
  'a training config',
  strict.is,
  (u, c) => {
    const filled = upgrade(u);
    if (typeof filled === 'object' && filled !== null && !Array.isArray(filled)) {
      const extra = Object.keys(filled).filter((k) => !FIELD_NAMES.includes(k));
      if (extra.length > 0)
        return t.failure(
          u,
          c,
          `unknown key${extra.length > 1 ? 's' : ''} ${extra.map((k) => JSON.stringify(k)).join(', ')} (allowed: ${FIELD_NAMES.join(', ')})`,
        );
    }
    return strict.validate(filled, c);
  },
  strict.encode,
);

/** Everything that decides a training run; with the seed it fixes the run bit for bit. */
export type TrainConfig = t.TypeOf<typeof TrainConfigCodec>;

/** The update rules the CLI offers. */
export const OPTIMISERS = Object.keys(Optimiser.keys);
/** The learning-rate schedules the CLI offers. */
export const SCHEDULES = Object.keys(Schedule.keys);

/** A training config from untrusted JSON (a run's config.json); throws one line per problem. */
export const decodeTrainConfig = (value: unknown, what: string): TrainConfig =>
  decodeOrThrow(TrainConfigCodec, value, what);

/**
 * The report's recipe: 784-100-100-10 ReLU MLP, N(0, 0.1) weights, zero biases, mean cross-entropy,
 * SGD with batch 50 and lr 0.05 for 30 epochs, L1 max-column λ = 1e-4 (its code; its text says 1e-3).
 */
export const reportConfig: TrainConfig = decodeTrainConfig(
  Object.fromEntries(Object.entries(CONFIG_FIELDS).map(([name, f]) => [name, f.value])),
  'the report config',
);

/** The text of a run's config.json. */
export const encodeTrainConfig = (config: TrainConfig): string =>
  `${JSON.stringify(TrainConfigCodec.encode(config), null, 2)}\n`;

/** The largest config.json read (it is a few hundred bytes). */
const MAX_CONFIG_BYTES = 2 ** 20;

/** Reads and decodes `<run-dir>/config.json`; every message names the file. */
export const readTrainConfig = (path: string): TrainConfig => {
  let text: string;
  try {
    text = readDataText(path, MAX_CONFIG_BYTES, "run's config file");
  } catch (e) {
    throw new Error(`cannot read the run's config: ${(e as Error).message}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new Error(`${path}: the run's config is not valid JSON (${(e as Error).message})`);
  }
  return decodeTrainConfig(value, path);
};
