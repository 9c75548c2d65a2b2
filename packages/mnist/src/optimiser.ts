import {
  adam,
  addRegulariser,
  chain,
  cosineDecay,
  type GradientTransformation,
  type LearningRate,
  l1MaxColumn,
  l2,
  momentum,
  paramRole,
  sgd,
} from '@difftape/nn';
import type { TrainConfig } from './run/config.js';

/** The learning rate of a config: fixed, or decayed over the run's `epochs × stepsPerEpoch` steps. */
export const learningRate = (
  config: Pick<TrainConfig, 'lr' | 'epochs' | 'schedule'>,
  stepsPerEpoch: number,
): LearningRate =>
  config.schedule === 'cosine'
    ? cosineDecay(config.lr, Math.max(1, config.epochs * stepsPerEpoch))
    : config.lr;

/** The update rule of a config: L1 max-column subgradient added to the gradient, then the optimiser. */
export const makeOptimiser = (
  config: TrainConfig,
  stepsPerEpoch: number,
): GradientTransformation<unknown[]> => {
  const lr = learningRate(config, stepsPerEpoch);
  const base =
    config.optimiser === 'sgd'
      ? sgd(lr)
      : config.optimiser === 'adam'
        ? adam(lr)
        : momentum(lr, config.beta, { nesterov: config.optimiser === 'nesterov' });
  const isWeight = (path: string) => paramRole(path) === 'weight';
  return config.weightDecay
    ? chain(
        addRegulariser(l1MaxColumn, config.lambda),
        addRegulariser(l2, config.weightDecay, isWeight),
        base,
      )
    : chain(addRegulariser(l1MaxColumn, config.lambda), base);
};
