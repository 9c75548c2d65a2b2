import * as k from '../kernels.js';
import { shapeString } from '../matrix.js';
import { defineOp, type Op } from '../op.js';
import type { Tensor } from '../tape.js';
import { div, mul, neg, sub } from './arithmetic.js';
import { sumCols } from './broadcast.js';
import { exp } from './elementwise.js';

/** Row-wise log Σⱼ exp x[i, j], stable for huge entries: m × n → m × 1. */
export const logSumExp: Op<[x: Tensor]> = defineOp<[x: Tensor]>({
  name: 'logSumExp',
  forward: k.logSumExpRows,
  // d lse(x) = softmax(x) · dx
  vjp: [(g, _out, x) => mul(g, softmax(x))],
});

/** Row-wise softmax, stable for huge entries. */
export const softmax: Op<[x: Tensor]> = defineOp<[x: Tensor]>({
  name: 'softmax',
  forward: k.softmaxRows,
  // J = diag(s) − s sᵀ  ⇒  x̄ = s ⊙ (ḡ − ⟨ḡ, s⟩)
  vjp: [(g, out) => mul(out, sub(g, sumCols(mul(g, out))))],
});

/** Row-wise log softmax x − lse(x), stable for huge entries. */
export const logSoftmax: Op<[x: Tensor]> = defineOp<[x: Tensor]>({
  name: 'logSoftmax',
  forward: k.logSoftmaxRows,
  // J = I − 1 softmaxᵀ  ⇒  x̄ = ḡ − softmax(x) · Σⱼ ḡⱼ
  vjp: [(g, out) => sub(g, mul(exp(out), sumCols(g)))],
});

/**
 * Mean over rows of the cross-entropy between targets y (one-hot or probabilities) and softmax(x):
 * (1/m) Σᵢ Σⱼ y[i,j] (lse(x[i]) − x[i,j]). Fused for stability with huge logits.
 */
export const softmaxCrossEntropyWithTargets: Op<[logits: Tensor, targets: Tensor]> = defineOp<
  [logits: Tensor, targets: Tensor]
>({
  name: 'softmaxCrossEntropy',
  forward: (x, y) => {
    if (x.rows !== y.rows || x.columns !== y.columns) {
      throw new RangeError(
        `softmaxCrossEntropy: logits are ${shapeString(x)} but targets are ${shapeString(y)}`,
      );
    }
    if (x.rows === 0) throw new RangeError('softmaxCrossEntropy: logits have no rows');
    return k.softmaxCrossEntropy(x, y);
  },
  // x̄ = ḡ (softmax(x) Σⱼ y − y) / m,  ȳ = −ḡ logSoftmax(x) / m
  vjp: [
    (g, _out, x, y) => mul(g, div(sub(mul(softmax(x), sumCols(y)), y), x.rows)),
    (g, _out, x) => mul(g, div(neg(logSoftmax(x)), x.rows)),
  ],
});
