import { alloc, type Matrix, shapeString } from './matrix.js';
import { div } from './primitives/arithmetic.js';
import { sumAll, sumCols, sumRows } from './primitives/broadcast.js';
import { softmaxCrossEntropyWithTargets } from './primitives/rowwise.js';
import { isTensor, rawOf, type Tensor } from './tape.js';

/** Composite ops, written from primitives: they need no VJP of their own. */

/** Which axis a reduction removes: 'rows' sums over rows (→ 1 × n), 'cols' over columns (→ m × 1). */
export type Axis = 'rows' | 'cols';

const checkAxis = (op: string, axis: unknown): void => {
  if (axis !== undefined && axis !== 'rows' && axis !== 'cols') {
    throw new TypeError(
      `${op}: axis must be 'rows', 'cols' or omitted, got ${JSON.stringify(axis)}`,
    );
  }
};

/** Σ of every entry (1 × 1), or over rows (1 × n) or columns (m × 1). */
export const sum = (x: Tensor, axis?: Axis): Tensor => {
  checkAxis('sum', axis);
  return axis === 'rows' ? sumRows(x) : axis === 'cols' ? sumCols(x) : sumAll(x);
};

/** Mean of every entry (1 × 1), or over rows (1 × n) or columns (m × 1). */
export const mean = (x: Tensor, axis?: Axis): Tensor => {
  checkAxis('mean', axis);
  const count = axis === 'rows' ? x.rows : axis === 'cols' ? x.columns : x.rows * x.columns;
  return div(sum(x, axis), count);
};

/** Class labels as a one-hot matrix (labels.length × classes); checks every label. */
export const oneHot = (labels: ArrayLike<number>, classes: number, op = 'oneHot'): Matrix => {
  const [m, out] = alloc(labels.length, classes);
  for (let i = 0; i < labels.length; i++) {
    const y = labels[i]!;
    if (!Number.isInteger(y) || y < 0 || y >= classes) {
      throw new RangeError(`${op}: label ${i} is ${y}, expected an integer in [0, ${classes})`);
    }
    out[i]![y] = 1;
  }
  return m;
};

/**
 * Mean over rows of −log softmax(logits)[i, labels[i]]. Labels are class indices or a matrix of
 * targets (one-hot or probabilities) shaped like the logits. Stable for logits of any magnitude.
 */
export const softmaxCrossEntropy = (logits: Tensor, labels: ArrayLike<number> | Tensor): Tensor => {
  if (isTensor(labels)) {
    return softmaxCrossEntropyWithTargets(logits, labels);
  }
  if (labels.length !== logits.rows) {
    throw new RangeError(
      `softmaxCrossEntropy: ${logits.rows} rows of logits but ${labels.length} labels`,
    );
  }
  return softmaxCrossEntropyWithTargets(
    logits,
    oneHot(labels, logits.columns, 'softmaxCrossEntropy'),
  );
};

/** The value without its tapes: a constant to every `grad` (its cotangent is zero). */
export const stopGradient = (x: Tensor): Matrix => rawOf(x);

/** The number in a 1 × 1 result; throws naming the shape otherwise. */
export const scalar = (x: Tensor): number => {
  if (x.rows !== 1 || x.columns !== 1)
    throw new RangeError(`scalar: expected a 1x1 value, got ${shapeString(x)}`);
  return rawOf(x).get(0, 0);
};
