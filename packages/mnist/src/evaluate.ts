import { logSumExp, rawOf } from '@difftape/core';
import { storageOf } from '@difftape/core/kernels';
import { argmaxRows, type Layer, oneVsRestMetrics, type Params, top1Accuracy } from '@difftape/nn';
import { CLASSES, type Dataset, gatherImages } from './data.js';
import type { SplitMetrics } from './run/metrics.js';

/**
 * Rows per forward pass when evaluating: bounds memory (a 1000 × 784 float64 batch is 6 MB). The
 * chunks are also the units of the mean loss's sum, so every evaluator (one thread or a pool) uses
 * these same boundaries and sums the chunks' losses in chunk order: the same bits.
 */
export const CHUNK = 1000;

/** A split's metrics plus every prediction and the model's probability for it. */
export interface Evaluation extends SplitMetrics {
  readonly predictions: Int32Array;
  /** softmax(logits)[i, predictions[i]]: how sure the model is of sample i's prediction. */
  readonly confidences: Float64Array;
}

/** The number of chunks of a split of `count` rows. */
export const chunkCount = (count: number): number => Math.ceil(count / CHUNK);

/** Where chunk results go: per row (predictions, confidences) and per chunk (its mean loss). */
export interface ChunkResults {
  readonly predictions: Int32Array;
  readonly confidences: Float64Array;
  readonly losses: Float64Array;
}

/** Fresh result arrays for `ds`. */
export const chunkResults = (ds: Dataset): ChunkResults => ({
  predictions: new Int32Array(ds.count),
  confidences: new Float64Array(ds.count),
  losses: new Float64Array(chunkCount(ds.count)),
});

/** One chunk's evaluation: writes chunk c of `ds`'s predictions, confidences and mean loss into `out`. */
export type ChunkEvaluator = (params: Params, ds: Dataset, c: number, out: ChunkResults) => void;

/**
 * A chunk evaluator of `model`. The numbers are those of `softmaxCrossEntropy`, `argmaxRows` and
 * `softmax` on the logits, from one logSumExp per row.
 */
export const chunkEvaluator =
  (model: Layer): ChunkEvaluator =>
  (params, ds, c, out) => {
    const start = c * CHUNK;
    const rows = Math.min(CHUNK, ds.count - start);
    if (!(Number.isInteger(c) && rows > 0))
      throw new RangeError(`evaluate: chunk ${c} is outside the ${ds.count} rows`);
    const pixels = gatherImages(
      ds,
      Int32Array.from({ length: rows }, (_, i) => start + i),
    );
    const logits = rawOf(model.apply(params, pixels));
    const xs = storageOf(logits);
    const lse = storageOf(rawOf(logSumExp(logits)));
    const n = logits.columns;
    const predicted = argmaxRows(logits);
    // softmaxCrossEntropy against one-hot labels: Σᵢ 1·(lseᵢ − xᵢ,yᵢ) in row order, then / rows
    // (1·v is v, bit for bit).
    let total = 0;
    for (let i = 0; i < rows; i++) {
      const at = i * n;
      const y = ds.labels[start + i]!;
      if (y >= n)
        throw new RangeError(
          `evaluate: sample ${start + i} has label ${y}, but the model gives only ${n} scores per sample`,
        );
      total += lse[i]! - xs[at + y]!;
      // softmax(x)ᵢₖ = exp(xᵢₖ − lseᵢ), as core's softmax computes it.
      out.confidences[start + i] = Math.exp(xs[at + predicted[i]!]! - lse[i]!);
    }
    out.predictions.set(predicted, start);
    out.losses[c] = total / rows;
  };

/** The metrics of `ds` from its chunk results: the mean loss summed chunk by chunk, in order. */
export const finishEvaluation = (
  ds: Dataset,
  { predictions, confidences, losses }: ChunkResults,
) => {
  let lossSum = 0;
  for (let c = 0; c < losses.length; c++)
    lossSum += losses[c]! * Math.min(CHUNK, ds.count - c * CHUNK);
  const metrics = oneVsRestMetrics(predictions, ds.labels, CLASSES);
  return {
    loss: lossSum / ds.count,
    top1: top1Accuracy(predictions, ds.labels),
    oneVsRestError: metrics.error,
    oneVsRestAccuracy: metrics.accuracy,
    predictions,
    confidences,
  } satisfies Evaluation;
};

/** Mean loss, top-1 and the report's per-digit one-vs-rest error and accuracy of `params` on `ds`. */
export const evaluate = (model: Layer, params: Params, ds: Dataset): Evaluation => {
  const out = chunkResults(ds);
  const run = chunkEvaluator(model);
  for (let c = 0; c < out.losses.length; c++) run(params, ds, c, out);
  return finishEvaluation(ds, out);
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
