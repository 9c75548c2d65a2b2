import { type Matrix, rowsOf, toFlat } from '@difftape/core';
import { baselineStep, type DenseLayer, mlpLossAndGrad } from '../baseline.js';
import { fromTf, type Tf, type TfParams, type tfjsWorkload } from '../tfjs.js';
import { denseLayers, type Workload } from './workload.js';

/** Before timing: difftape's loss, gradients and step against the baseline's and tfjs's. */

/** The largest |x − y| over two equally shaped lists of layers. */
const maxAbsDiff = (xs: readonly DenseLayer[], ys: readonly DenseLayer[]): number => {
  let worst = 0;
  const diff = (a: Matrix, b: Matrix) => {
    if (a.rows !== b.rows || a.columns !== b.columns)
      throw new Error(`train-step: comparing ${a.rows}x${a.columns} with ${b.rows}x${b.columns}`);
    const bs = rowsOf(b);
    rowsOf(a).forEach((row, i) => {
      row.forEach((v, j) => {
        worst = Math.max(worst, Math.abs(v - bs[i]![j]!));
      });
    });
  };
  xs.forEach((x, l) => {
    diff(x.W, ys[l]!.W);
    diff(x.b, ys[l]!.b);
  });
  return worst;
};

/** The largest |x| over a list of layers. */
const maxAbs = (xs: readonly DenseLayer[]): number =>
  Math.max(...xs.flatMap(({ W, b }) => [W, b].map((m) => Math.max(...toFlat(m).map(Math.abs)))));

/** Checks run before timing, with the numbers they compared. */
export interface Checks {
  /** Baseline vs tape gradients, and baseline vs makeStep new parameters (float64, ≤ 1e-12). */
  baselineGradMaxAbsDiff?: number;
  baselineStepMaxAbsDiff?: number;
  /** tfjs (float32) vs difftape loss at the same initial weights, relative. */
  tfjsLossRelDiff?: number;
  /** tfjs vs difftape gradients and new parameters: max |diff| over max |difftape value|. */
  tfjsGradRelDiff?: number;
  tfjsStepRelDiff?: number;
  difftapeLoss?: number;
  tfjsLoss?: number;
}

const check = (what: string, value: number, tolerance: number): number => {
  if (!(value <= tolerance))
    throw new Error(`train-step: ${what} differ by ${value}, expected at most ${tolerance}`);
  return value;
};

/** difftape's loss, gradients and stepped parameters, checked against the baseline's (float64). */
export const checkBaseline = (w: Workload) => {
  const [loss, tapeGrads] = w.lossAndGrad(w.params);
  const grads = denseLayers(tapeGrads);
  const stepped = denseLayers(w.step(w.state0, { x: w.x, y: w.labels })[0].params);
  const base = mlpLossAndGrad(w.layers, w.x, w.labels);
  check('baseline and difftape losses', Math.abs(base.loss - loss), 1e-12);
  const checks: Checks = {
    difftapeLoss: loss,
    baselineGradMaxAbsDiff: check(
      'baseline and difftape gradients',
      maxAbsDiff(base.grads, grads),
      1e-12,
    ),
    baselineStepMaxAbsDiff: check(
      'baseline and makeStep new parameters',
      maxAbsDiff(baselineStep(w.layers, w.x, w.labels, w.hyper).layers, stepped),
      1e-12,
    ),
  };
  return { loss, grads, stepped, checks };
};

/** tfjs's float32 loss, gradients and stepped parameters against difftape's, at the same weights. */
export const checkTfjs = (
  tf: Tf,
  tfw: ReturnType<typeof tfjsWorkload>,
  tfParams: TfParams,
  ref: ReturnType<typeof checkBaseline>,
): Checks =>
  tf.tidy(() => {
    const [grads, loss] = tfw.gradOnly(tfParams);
    const tfLoss = loss.dataSync()[0]!;
    const [next] = tfw.step(tfParams);
    return {
      tfjsLoss: tfLoss,
      tfjsLossRelDiff: check(
        'tfjs and difftape losses (relative)',
        Math.abs(tfLoss - ref.loss) / Math.abs(ref.loss),
        1e-5,
      ),
      tfjsGradRelDiff: check(
        'tfjs and difftape gradients (relative to the largest)',
        maxAbsDiff(fromTf(grads), ref.grads) / maxAbs(ref.grads),
        1e-4,
      ),
      tfjsStepRelDiff: check(
        'tfjs and makeStep new parameters (relative to the largest)',
        maxAbsDiff(fromTf(next), ref.stepped) / maxAbs(ref.stepped),
        1e-5,
      ),
    };
  });
