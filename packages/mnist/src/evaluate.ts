import { rawOf, scalar, softmax, softmaxCrossEntropy } from '@difftape/core';
import { argmaxRows, type Layer, oneVsRestMetrics, type Params, top1Accuracy } from '@difftape/nn';
import { CLASSES, type Dataset, gatherBatch, gatherLabels } from './data.js';
import type { SplitMetrics } from './run/metrics.js';

/** Rows per forward pass when evaluating: bounds memory (a 1000 × 784 float64 batch is 6 MB). */
const CHUNK = 1000;

/** A split's metrics plus every prediction and the model's probability for it. */
export interface Evaluation extends SplitMetrics {
  readonly predictions: Int32Array;
  /** softmax(logits)[i, predictions[i]]: how sure the model is of sample i's prediction. */
  readonly confidences: Float64Array;
}

/** Mean loss, top-1 and the report's per-digit one-vs-rest error and accuracy of `params` on `ds`. */
export const evaluate = (model: Layer, params: Params, ds: Dataset): Evaluation => {
  const predictions = new Int32Array(ds.count);
  const confidences = new Float64Array(ds.count);
  let lossSum = 0;
  for (let start = 0; start < ds.count; start += CHUNK) {
    const indices = Array.from({ length: Math.min(CHUNK, ds.count - start) }, (_, i) => start + i);
    const logits = rawOf(model.apply(params, gatherBatch(ds, indices)));
    const labels = gatherLabels(ds, indices);
    lossSum += scalar(softmaxCrossEntropy(logits, labels)) * indices.length;
    const predicted = argmaxRows(logits);
    predictions.set(predicted, start);
    const probs = rawOf(softmax(logits));
    predicted.forEach((k, i) => {
      confidences[start + i] = probs.get(i, k);
    });
  }
  const metrics = oneVsRestMetrics(predictions, ds.labels, CLASSES);
  return {
    loss: lossSum / ds.count,
    top1: top1Accuracy(predictions, ds.labels),
    oneVsRestError: metrics.error,
    oneVsRestAccuracy: metrics.accuracy,
    predictions,
    confidences,
  };
};

/** The metrics without the predictions, as stored in metrics.jsonl. */
export const splitMetrics = ({
  loss,
  top1,
  oneVsRestError,
  oneVsRestAccuracy,
}: Evaluation): SplitMetrics => ({
  loss,
  top1,
  oneVsRestError,
  oneVsRestAccuracy,
});
