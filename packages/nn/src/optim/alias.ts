import type { GradientTransformation } from './base.js';
import { chain } from './combine.js';
import type { LearningRate } from './schedule.js';
import {
  type AdamOptions,
  addDecayedWeights,
  type RmsOptions,
  scaleByAdam,
  scaleByLearningRate,
  scaleByRms,
  scaleByStddev,
  traceMomentum,
} from './transform.js';

/** Plain SGD: updates = −lr·g. */
export const sgd = (lr: LearningRate) => chain(scaleByLearningRate(lr));

/** SGD with heavy-ball (or Nesterov) momentum: v ← g + βv, updates = −lr·v. */
export const momentum = (lr: LearningRate, beta = 0.9, { nesterov = false } = {}) =>
  chain(traceMomentum(beta, nesterov), scaleByLearningRate(lr));

/** Adam (Kingma & Ba) with bias correction. */
export const adam = (lr: LearningRate, options: AdamOptions = {}) =>
  chain(scaleByAdam(options), scaleByLearningRate(lr));

/** Options of `adamw`: Adam's, plus the decoupled weight decay and which leaves it applies to. */
export interface AdamWOptions extends AdamOptions {
  /** λ in updates = −lr·(adam(g) + λ·params). Default 1e-4, as optax. */
  readonly weightDecay?: number;
  /** Which leaves decay, by path (default: all; e.g. `(p) => !p.endsWith('b')` spares biases). */
  readonly decayWhere?: (path: string) => boolean;
}

/** AdamW (Loshchilov & Hutter): Adam with the weight decay added after the scaling, not to g. */
export const adamw = (
  lr: LearningRate,
  { weightDecay = 1e-4, decayWhere, ...adamOptions }: AdamWOptions = {},
) =>
  chain(
    scaleByAdam(adamOptions),
    addDecayedWeights(weightDecay, decayWhere),
    scaleByLearningRate(lr),
  );

/** Options of `rmsprop`: the scaling's, a centred variant, and optional momentum on the step. */
export interface RmspropOptions extends RmsOptions {
  /** Divide by the moving standard deviation instead of the root mean square. Default false. */
  readonly centered?: boolean;
  /** Heavy-ball momentum on the scaled step (0: none, the default). */
  readonly momentum?: number;
  readonly nesterov?: boolean;
}

/** RMSprop (Tieleman & Hinton), as optax: updates = −lr·g / √(ν + eps), ν the moving mean of g². */
export const rmsprop = (
  lr: LearningRate,
  { centered = false, momentum: beta = 0, nesterov = false, ...rms }: RmspropOptions = {},
  // The momentum stage is optional, so the state's length is only known at run time.
): GradientTransformation<unknown[]> =>
  chain(
    centered ? scaleByStddev(rms) : scaleByRms(rms),
    scaleByLearningRate(lr),
    ...(beta !== 0 ? [traceMomentum(beta, nesterov)] : []),
  );
