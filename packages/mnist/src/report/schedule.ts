import { rateAt } from '@difftape/nn';
import type * as vl from 'vega-lite';
import { learningRate } from '../optimiser.js';
import type { TrainConfig } from '../run/config.js';
import type { EpochRecord } from '../run/metrics.js';

/** A schedule's name. */
type ScheduleName = TrainConfig['schedule'];

import { CONFIG, EPOCH_X } from './vega.js';

/** Points per epoch on the learning-rate curve: enough for a smooth cosine. */
const SAMPLES_PER_EPOCH = 16;

/** A config's schedule, when it names one that changes the rate (`constant` does not). */
export const scheduleOf = (config: TrainConfig | undefined): ScheduleName | undefined =>
  config?.schedule === 'constant' ? undefined : config?.schedule;

/**
 * The learning rate over fractional epochs, from the config's schedule and the steps per epoch
 * that the records show (steps after the last epoch / its number).
 */
export const learningRateRows = (
  config: TrainConfig,
  schedule: ScheduleName,
  records: EpochRecord[],
): { epoch: number; lr: number }[] => {
  const last = records[records.length - 1]!;
  if (last.epoch === 0) return [{ epoch: 0, lr: config.lr }];
  const stepsPerEpoch = last.steps / last.epoch;
  const lr = learningRate({ lr: config.lr, epochs: config.epochs, schedule }, stepsPerEpoch);
  const points = last.epoch * SAMPLES_PER_EPOCH;
  return Array.from({ length: points + 1 }, (_, i) => {
    const epoch = i / SAMPLES_PER_EPOCH;
    return { epoch, lr: rateAt(lr, Math.round(epoch * stepsPerEpoch)) };
  });
};

/** The learning rate each step used, over the epochs. */
export const learningRateSpec = (
  rows: { epoch: number; lr: number }[],
  schedule: ScheduleName,
): vl.TopLevelSpec =>
  ({
    title: { text: 'Learning rate over epochs', subtitle: `${schedule} schedule, per step` },
    data: { values: rows },
    width: 520,
    height: 240,
    mark: { type: 'line', color: '#54a24b', strokeWidth: 2 },
    encoding: {
      x: EPOCH_X,
      y: { field: 'lr', type: 'quantitative', title: 'learning rate', axis: { format: '~g' } },
    },
    config: CONFIG,
  }) as vl.TopLevelSpec;
