import * as fs from 'node:fs';
import { checkParamShapes, key } from '@difftape/core';
import { confusionMatrix } from '@difftape/nn';
import { loadCheckpoint } from '@difftape/nn/node';
import { CLASSES, type Dataset } from '../data.js';
import { type Evaluation, evaluate } from '../evaluate.js';
import { imageShape, modelFor } from '../model.js';

/** One misclassified test digit: where it is, its truth, the model's guess and its confidence. */
export interface Mistake {
  readonly index: number;
  readonly label: number;
  readonly predicted: number;
  readonly confidence: number;
  /** rows × cols gray bytes, white on black. */
  readonly pixels: Uint8Array;
}

/** What the report shows of a model on the test set beyond the per-epoch metrics. */
export interface TestAnalysis {
  /** `confusion[true][predicted]` counts. */
  readonly confusion: number[][];
  /** The most confident mistakes first (ties: lower index first), at most `maxMistakes`. */
  readonly mistakes: Mistake[];
  readonly mistakeCount: number;
  readonly count: number;
  readonly rows: number;
  readonly cols: number;
}

/** The confusion matrix and the most confident mistakes of an evaluation of `ds`. */
export const analyseTest = (ev: Evaluation, ds: Dataset, maxMistakes = 40): TestAnalysis => {
  const wrong: number[] = [];
  for (let i = 0; i < ds.count; i++) if (ev.predictions[i] !== ds.labels[i]) wrong.push(i);
  wrong.sort((a, b) => ev.confidences[b]! - ev.confidences[a]! || a - b);
  const size = ds.rows * ds.cols;
  return {
    confusion: confusionMatrix(ev.predictions, ds.labels, CLASSES),
    mistakes: wrong.slice(0, maxMistakes).map((index) => ({
      index,
      label: ds.labels[index]!,
      predicted: ev.predictions[index]!,
      confidence: ev.confidences[index]!,
      pixels: ds.images.subarray(index * size, (index + 1) * size),
    })),
    mistakeCount: wrong.length,
    count: ds.count,
    rows: ds.rows,
    cols: ds.cols,
  };
};

/** Evaluates the checkpoint at `path` on `ds` and analyses the result; throws naming the file. */
export const analyseCheckpoint = (path: string, ds: Dataset): TestAnalysis => {
  if (!fs.existsSync(path)) throw new Error(`analyseCheckpoint: no such checkpoint: ${path}`);
  const loaded = loadCheckpoint(path);
  if (!loaded.spec) throw new Error(`analyseCheckpoint: ${path} has no model spec in its manifest`);
  const model = modelFor(loaded.spec, ds);
  checkParamShapes(loaded.params, model.init(key(0), imageShape(ds))[0], path);
  return analyseTest(evaluate(model, loaded.params, ds), ds);
};
