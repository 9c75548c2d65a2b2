/**
 * Classification metrics: argmax, top-1 accuracy, confusion matrix, and the report's per-class
 * one-vs-rest error. Nothing here is task-specific; labels are integers in [0, classes). Each takes
 * predicted classes or a score matrix (logits or probabilities); `classes` defaults to the score
 * matrix's columns, or to 1 + the largest class seen.
 */

import { shapeString } from '@difftape/core';

/**
 * What the metrics read from a score matrix: an ml-matrix `Matrix` fits, and so does anything else
 * with `rows`, `columns` and `get` (kept structural so `nn` needs no direct ml-matrix import).
 */
export interface ScoreMatrix {
  readonly rows: number;
  readonly columns: number;
  get(row: number, column: number): number;
}

/** Per-class one-vs-rest error and accuracy, and their means over the classes. */
export interface OneVsRestMetrics {
  error: number[];
  accuracy: number[];
  meanError: number;
  meanAccuracy: number;
}

/** The column index of each row's maximum: the first one on ties; NaN entries are skipped. */
export const argmaxRows = (scores: ScoreMatrix): Int32Array => {
  if (scores.columns < 1) {
    throw new RangeError(`argmaxRows: expected at least 1 column, got ${shapeString(scores)}`);
  }
  const out = new Int32Array(scores.rows);
  for (let i = 0; i < scores.rows; i++) {
    let best = 0;
    let max = scores.get(i, 0);
    for (let j = 1; j < scores.columns; j++) {
      const v = scores.get(i, j);
      // `!(v <= max)` would let NaN win; a strict `>` keeps the first max and skips NaN.
      if (v > max || Number.isNaN(max)) {
        best = j;
        max = v;
      }
    }
    out[i] = best;
  }
  return out;
};

/** Predicted classes, or scores (one row per sample) whose row-wise argmax is the prediction. */
export type Predictions = ArrayLike<number> | ScoreMatrix;

const isScores = (p: Predictions): p is ScoreMatrix =>
  typeof (p as ScoreMatrix).get === 'function' && typeof (p as ScoreMatrix).columns === 'number';

const classesOf = (predicted: Predictions, labels: ArrayLike<number>): number => {
  if (isScores(predicted)) return predicted.columns;
  let max = 0;
  for (let i = 0; i < labels.length; i++) max = Math.max(max, labels[i]!, predicted[i]!);
  return max + 1;
};

/** The classes and the predicted class of every sample, whichever form they came in. */
const resolve = (predicted: Predictions, labels: ArrayLike<number>, classes?: number) => ({
  classes: classes ?? classesOf(predicted, labels),
  predicted: isScores(predicted) ? argmaxRows(predicted) : predicted,
});

const checkPair = (
  fn: string,
  predicted: ArrayLike<number>,
  labels: ArrayLike<number>,
  classes?: number,
): void => {
  if (predicted.length !== labels.length) {
    throw new RangeError(
      `${fn}: predicted and labels must have equal lengths, got ${predicted.length} and ${labels.length}`,
    );
  }
  if (labels.length < 1) throw new RangeError(`${fn}: expected at least 1 sample, got 0`);
  if (classes !== undefined && !(Number.isInteger(classes) && classes >= 1)) {
    throw new RangeError(`${fn}: classes must be an integer >= 1, got ${classes}`);
  }
  const inRange = (v: number): boolean =>
    Number.isInteger(v) && v >= 0 && (classes === undefined || v < classes);
  const expected =
    classes === undefined ? 'a non-negative integer' : `an integer in [0, ${classes})`;
  for (let i = 0; i < labels.length; i++) {
    if (!inRange(labels[i]!))
      throw new RangeError(`${fn}: labels[${i}] = ${labels[i]}, expected ${expected}`);
    if (!inRange(predicted[i]!)) {
      throw new RangeError(`${fn}: predicted[${i}] = ${predicted[i]}, expected ${expected}`);
    }
  }
};

/** Fraction of samples whose predicted class (or highest score) equals the label. */
export const top1Accuracy = (scoresOrPredicted: Predictions, labels: ArrayLike<number>): number => {
  const { predicted } = resolve(scoresOrPredicted, labels);
  checkPair('top1Accuracy', predicted, labels);
  let hits = 0;
  for (let i = 0; i < labels.length; i++) if (predicted[i] === labels[i]) hits++;
  return hits / labels.length;
};

/** Counts `m[true][predicted]`: rows are the true class, columns the predicted class. */
export const confusionMatrix = (
  scoresOrPredicted: Predictions,
  labels: ArrayLike<number>,
  numClasses?: number,
): number[][] => {
  const { predicted, classes } = resolve(scoresOrPredicted, labels, numClasses);
  checkPair('confusionMatrix', predicted, labels, classes);
  const m = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
  for (let i = 0; i < labels.length; i++) m[labels[i]!]![predicted[i]!]!++;
  return m;
};

/**
 * The report's per-class metric: error_k is the fraction of samples whose one-hot prediction and
 * one-hot truth differ in column k, i.e. (false positives_k + false negatives_k) / N; accuracy_k is
 * 1 − error_k. Every misclassified sample counts in exactly two columns, so the mean error is
 * 2 × (1 − top-1) / K: print top-1 beside it.
 */
export const oneVsRestMetrics = (
  scoresOrPredicted: Predictions,
  labels: ArrayLike<number>,
  numClasses?: number,
): OneVsRestMetrics => {
  const { predicted, classes } = resolve(scoresOrPredicted, labels, numClasses);
  checkPair('oneVsRestMetrics', predicted, labels, classes);
  const cm = confusionMatrix(predicted, labels, classes);
  const n = labels.length;
  const error: number[] = [];
  for (let k = 0; k < classes; k++) {
    const diag = cm[k]![k]!;
    let rowSum = 0; // true = k
    let colSum = 0; // predicted = k
    for (let j = 0; j < classes; j++) {
      rowSum += cm[k]![j]!;
      colSum += cm[j]![k]!;
    }
    error.push((rowSum - diag + (colSum - diag)) / n);
  }
  const accuracy = error.map((e) => 1 - e);
  const mean = (xs: number[]): number => xs.reduce((s, x) => s + x, 0) / xs.length;
  return { error, accuracy, meanError: mean(error), meanAccuracy: mean(accuracy) };
};
