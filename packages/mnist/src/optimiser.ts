import {
  adam,
  adamw,
  addRegulariser,
  chain,
  cosineDecay,
  type GradientTransformation,
  type LearningRate,
  l1MaxColumn,
  l2,
  momentum,
  paramRole,
  rmsprop,
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

/**
 * The update rule of a config: L1 max-column subgradient (and L2 weight decay, except for AdamW,
 * which decays decoupled) added to the gradient, then the optimiser.
 */
export const makeOptimiser = (
  config: TrainConfig,
  stepsPerEpoch: number,
): GradientTransformation<unknown[]> => {
  const lr = learningRate(config, stepsPerEpoch);
  const isWeight = (path: string) => paramRole(path) === 'weight';
  const rules: Record<TrainConfig['optimiser'], () => GradientTransformation<unknown[]>> = {
    sgd: () => sgd(lr),
    momentum: () => momentum(lr, config.beta),
    nesterov: () => momentum(lr, config.beta, { nesterov: true }),
    adam: () => adam(lr),
    // AdamW decays the weights itself, decoupled from the gradient's scaling
    adamw: () => adamw(lr, { weightDecay: config.weightDecay, decayWhere: isWeight }),
    rmsprop: () => rmsprop(lr),
  };
  const base = rules[config.optimiser]();
  return config.weightDecay && config.optimiser !== 'adamw'
    ? chain(
        addRegulariser(l1MaxColumn, config.lambda),
        addRegulariser(l2, config.weightDecay, isWeight),
        base,
      )
    : chain(addRegulariser(l1MaxColumn, config.lambda), base);
};
