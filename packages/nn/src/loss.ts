import {
  div,
  isTensor,
  log,
  mean,
  mul,
  neg,
  oneHot,
  shapeString,
  square,
  sub,
  sum,
  type Tensor,
} from '@difftape/core';

export { softmaxCrossEntropy } from '@difftape/core';

/**
 * The report's literal loss: −(1/m) Σᵢ Σₖ y[i,k] log ŷ[i,k] on probabilities ŷ (a softmax output).
 * Prefer `softmaxCrossEntropy` on logits: same value, stable for saturated outputs.
 */
export const nll = (probs: Tensor, labels: ArrayLike<number> | Tensor): Tensor => {
  const y = isTensor(labels) ? labels : oneHot(labels, probs.columns, 'nll');
  if (y.rows !== probs.rows || y.columns !== probs.columns) {
    throw new RangeError(
      `nll: probabilities are ${shapeString(probs)} but targets are ${shapeString(y)}`,
    );
  }
  return neg(div(sum(mul(y, log(probs))), probs.rows));
};

/** Mean squared error over every entry. */
export const mse = (predictions: Tensor, targets: Tensor): Tensor => {
  if (predictions.rows !== targets.rows || predictions.columns !== targets.columns) {
    throw new RangeError(
      `mse: predictions are ${shapeString(predictions)} but targets are ${shapeString(targets)}`,
    );
  }
  return mean(square(sub(predictions, targets)));
};
