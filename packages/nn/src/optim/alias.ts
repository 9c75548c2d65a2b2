import type { GradientTransformation } from './base.js';
import { chain } from './combine.js';
import type { LearningRate } from './schedule.js';
import { type AdamOptions, scaleByAdam, scaleByLearningRate, traceMomentum } from './transform.js';

/** Plain SGD: updates = −lr·g. */
export const sgd = (lr: LearningRate): GradientTransformation<unknown[]> =>
  chain(scaleByLearningRate(lr));

/** SGD with heavy-ball (or Nesterov) momentum: v ← g + βv, updates = −lr·v. */
export const momentum = (
  lr: LearningRate,
  beta = 0.9,
  { nesterov = false } = {},
): GradientTransformation<unknown[]> =>
  chain(traceMomentum(beta, nesterov), scaleByLearningRate(lr));

/** Adam (Kingma & Ba) with bias correction. */
export const adam = (
  lr: LearningRate,
  options: AdamOptions = {},
): GradientTransformation<unknown[]> => chain(scaleByAdam(options), scaleByLearningRate(lr));
