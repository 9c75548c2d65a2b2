import {
  foldIn,
  type Key,
  type Matrix,
  permutation,
  type Tensor,
  type Tree,
  treeZip,
  valueAndGrad,
} from '@difftape/core';
import type { AnyLayer, ApplyContext, Layer, Params } from './layer.js';
import { checkNumber, nonNegativeInteger, positiveInteger } from './numbers.js';
import type { GradientTransformation } from './optim/base.js';
import { addIntoOwned, disownAll, isOwnershipAware, withOwnedScope } from './optim/owned.js';

/** What a training step carries from one batch to the next: parameters `P`, optimiser state `S`. */
export interface TrainState<P extends Params = Params, S = unknown> {
  readonly params: P;
  readonly optState: S;
  /** Steps taken so far. */
  readonly step: number;
}

/** A mini-batch: inputs (one sample a row) and targets for the loss. */
export interface Batch<Y = ArrayLike<number>> {
  readonly x: Matrix;
  readonly y: Y;
}

/** A loss of the model's output and the batch targets, returning 1 × 1. */
export type Loss<Y = ArrayLike<number>> = (output: Tensor, targets: Y) => Tensor;

/** The fresh state for `params`. */
export const initTrainState = <P extends Params, S>(
  params: P,
  optimiser: GradientTransformation<S>,
): TrainState<P, S> => ({
  params,
  optState: optimiser.init(params),
  step: 0,
});

/** Options of `makeStep`. */
export interface StepOptions {
  /**
   * Check every op's output and cotangent (core's `checkFinite`): a `NonFiniteError` names the first
   * op, and the layer when the model is a `Serial`, to make a NaN or ±Infinity. Slower; off by default.
   */
  readonly checkFinite?: boolean;
  /**
   * The run's key for layers that draw (Dropout): step n applies the model with
   * `foldIn(key, n)`, a function of the state's step count, so a resumed run draws the same masks.
   */
  readonly key?: Key;
}

/**
 * A pure training step: loss and gradient on the batch, the optimiser's updates, new parameters.
 * Returns the next state and the batch loss (before the update). Its types follow the model's
 * parameters, the loss's targets and the optimiser's state.
 */
export const makeStep = <P extends Params, S, Y = ArrayLike<number>>(
  model: Layer<P>,
  loss: Loss<Y>,
  optimiser: GradientTransformation<S>,
  options: StepOptions = {},
) => {
  const gradOptions = { checkFinite: options.checkFinite === true };
  // Under `grad` the parameters are a traced tree; the model checks their structure at run time.
  const anyModel: AnyLayer = model;
  const context = (step: number): ApplyContext => ({
    train: true,
    ...(options.key && { key: foldIn(options.key, step) }),
  });
  return (state: TrainState<P, S>, batch: Batch<Y>): [TrainState<P, S>, { loss: number }] => {
    const [value, grads] = valueAndGrad(
      (p: Tree<Tensor>) => loss(anyModel.apply(p, batch.x, context(state.step)), batch.y),
      gradOptions,
    )(state.params);
    // The new parameters go into the updates' own storage when the optimiser made them and kept
    // them nowhere (optim/owned.ts); a user's optimiser, which might keep them, gets fresh ones.
    const aware = isOwnershipAware(optimiser);
    const [params, optState] = withOwnedScope(() => {
      if (!aware) disownAll();
      const [updates, next] = optimiser.update(grads, state.optState, state.params);
      if (!aware) disownAll();
      // treeZip keeps the structure of its first tree and maps matrices to matrices: a `P` again.
      return [treeZip(state.params, updates, addIntoOwned) as P, next] as const;
    });
    return [{ params, optState, step: state.step + 1 }, { loss: value }];
  };
};

/** Options of `batchIndices`. */
export interface BatchOptions {
  /** Keep the last, smaller batch instead of dropping it (the report drops it). */
  readonly keepPartial?: boolean;
  /** Visit samples in order instead of shuffling. */
  readonly shuffle?: boolean;
}

/** One epoch's mini-batches as index arrays: a permutation from `key`, cut into `batchSize` pieces. */
export const batchIndices = (
  key: Key,
  count: number,
  batchSize: number,
  options: BatchOptions = {},
): Int32Array[] => {
  checkNumber('batchIndices: batch size', batchSize, positiveInteger);
  checkNumber('batchIndices: count', count, nonNegativeInteger);
  const { keepPartial = false, shuffle = true } = options;
  const order = shuffle ? permutation(key, count) : Int32Array.from({ length: count }, (_, i) => i);
  const batches: Int32Array[] = [];
  for (let start = 0; start < count; start += batchSize) {
    const end = Math.min(start + batchSize, count);
    if (end - start < batchSize && !keepPartial) break;
    batches.push(order.subarray(start, end));
  }
  return batches;
};
