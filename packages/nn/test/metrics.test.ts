import { Matrix } from '@difftape/core';
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import {
  argmaxRows,
  confusionMatrix,
  oneVsRestMetrics,
  type ScoreMatrix,
  top1Accuracy,
} from '../src/metrics.js';

/** A row-array matrix with the `get` that ml-matrix's Matrix has. */
const matrixOf = (rows: number[][]): ScoreMatrix => ({
  rows: rows.length,
  columns: rows[0]?.length ?? 0,
  get: (i, j) => rows[i]![j]!,
});

/** The report's `performance_metrics`, literally: one-hot both, compare column by column. */
const reportPerformanceMetrics = (
  labels: number[],
  predicted: number[],
  classes: number,
): { accuracies: number[]; errors: number[] } => {
  const oneHot = (xs: number[]) =>
    xs.map((x) => Array.from({ length: classes }, (_, k) => (k === x ? 1 : 0)));
  const yTrue = oneHot(labels);
  const yPred = oneHot(predicted);
  const errors: number[] = [];
  for (let i = 0; i < classes; i++) {
    let differ = 0;
    for (let m = 0; m < labels.length; m++) if (yPred[m]![i] !== yTrue[m]![i]) differ++;
    errors.push(differ / labels.length);
  }
  return { accuracies: errors.map((e) => 1 - e), errors };
};

/** classes, then equal-length predicted and labels drawn from [0, classes). */
const samples = fc.integer({ min: 1, max: 12 }).chain((classes) =>
  fc
    .array(
      fc.tuple(fc.integer({ min: 0, max: classes - 1 }), fc.integer({ min: 0, max: classes - 1 })),
      { minLength: 1, maxLength: 200 },
    )
    .map((pairs) => ({
      classes,
      predicted: pairs.map(([p]) => p),
      labels: pairs.map(([, l]) => l),
    })),
);

describe('argmaxRows', () => {
  it('picks the largest column per row, the first one on ties', () => {
    const scores = matrixOf([
      [0.1, 0.7, 0.2],
      [3, 3, 1],
      [-5, -1, -1],
      [0, 0, 9],
    ]);
    expect(Array.from(argmaxRows(scores))).toEqual([1, 0, 1, 2]);
  });

  it('skips NaN entries', () => {
    expect(Array.from(argmaxRows(matrixOf([[Number.NaN, 1, 2, Number.NaN]])))).toEqual([2]);
  });

  it('rejects a matrix without columns', () => {
    expect(() => argmaxRows({ rows: 2, columns: 0, get: () => 0 })).toThrow(/argmaxRows: .*2x0/);
  });

  test.prop([
    fc.array(fc.array(fc.integer({ min: -3, max: 3 }), { minLength: 4, maxLength: 4 }), {
      minLength: 1,
      maxLength: 20,
    }),
  ])('agrees with indexOf(max)', (rows) => {
    const expected = rows.map((r) => r.indexOf(Math.max(...r)));
    expect(Array.from(argmaxRows(matrixOf(rows)))).toEqual(expected);
  });
});

describe('top1Accuracy and confusionMatrix, by hand', () => {
  const predicted = [0, 1, 2, 2, 1, 0];
  const labels = [0, 1, 1, 2, 2, 2];

  it('top-1 counts exact matches', () => {
    expect(top1Accuracy(predicted, labels)).toBe(3 / 6);
  });

  it('confusion rows are the true class, columns the prediction', () => {
    expect(confusionMatrix(predicted, labels, 3)).toEqual([
      [1, 0, 0],
      [0, 1, 1],
      [1, 1, 1],
    ]);
  });

  it('accepts typed arrays', () => {
    expect(top1Accuracy(Int32Array.from(predicted), Uint8Array.from(labels))).toBe(0.5);
  });
});

describe('oneVsRestMetrics, by hand', () => {
  it('counts false positives plus false negatives per class', () => {
    // predicted [0,1,2,2,1,0], true [0,1,1,2,2,2]:
    // class 0: FP 1 (sample 5), FN 0 → 1/6; class 1: FP 1 (4), FN 1 (2) → 2/6;
    // class 2: FP 1 (2), FN 2 (4, 5) → 3/6.
    const m = oneVsRestMetrics([0, 1, 2, 2, 1, 0], [0, 1, 1, 2, 2, 2], 3);
    expect(m.error).toBeAllclose([1 / 6, 2 / 6, 3 / 6]);
    expect(m.accuracy).toBeAllclose([5 / 6, 4 / 6, 3 / 6]);
    expect(m.meanError).toBeAllclose(1 / 3);
    expect(m.meanAccuracy).toBeAllclose(2 / 3);
  });

  it('is all zeros for perfect predictions, and one class absent changes nothing', () => {
    const m = oneVsRestMetrics([3, 0, 3], [3, 0, 3], 4);
    expect(m.error).toEqual([0, 0, 0, 0]);
    expect(m.accuracy).toEqual([1, 1, 1, 1]);
  });

  it('one wrong sample of ten costs 0.1 in exactly two columns', () => {
    const labels = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
    const predicted = [...labels];
    predicted[7] = 1;
    const m = oneVsRestMetrics(predicted, labels, 10);
    expect(m.error).toBeAllclose([0, 0.1, 0, 0, 0, 0, 0, 0.1, 0, 0]);
    expect(m.meanError).toBeAllclose(0.02);
  });
});

describe('validation', () => {
  it('rejects unequal lengths, naming the function', () => {
    expect(() => top1Accuracy([0, 1], [0])).toThrow(/top1Accuracy: .*equal lengths, got 2 and 1/);
    expect(() => confusionMatrix([0], [0, 1], 2)).toThrow(/confusionMatrix: .*got 1 and 2/);
    expect(() => oneVsRestMetrics([0], [0, 1], 2)).toThrow(/oneVsRestMetrics: /);
  });

  it('rejects empty inputs', () => {
    expect(() => top1Accuracy([], [])).toThrow(/top1Accuracy: expected at least 1 sample/);
    expect(() => oneVsRestMetrics([], [], 3)).toThrow(
      /oneVsRestMetrics: expected at least 1 sample/,
    );
  });

  it('rejects bad class counts', () => {
    expect(() => confusionMatrix([0], [0], 0)).toThrow(
      /confusionMatrix: classes must be an integer >= 1, got 0/,
    );
    expect(() => oneVsRestMetrics([0], [0], 2.5)).toThrow(
      /classes must be an integer >= 1, got 2.5/,
    );
  });

  it('rejects labels and predictions out of range or non-integer', () => {
    expect(() => oneVsRestMetrics([0, 1], [0, 3], 3)).toThrow(
      /oneVsRestMetrics: labels\[1\] = 3, expected an integer in \[0, 3\)/,
    );
    expect(() => confusionMatrix([0, -1], [0, 1], 3)).toThrow(
      /confusionMatrix: predicted\[1\] = -1/,
    );
    expect(() => top1Accuracy([0.5], [0])).toThrow(/top1Accuracy: predicted\[0\] = 0.5/);
  });
});

describe('properties', () => {
  test.prop([samples])("one-vs-rest equals the report's one-hot column comparison", (s) => {
    const ours = oneVsRestMetrics(s.predicted, s.labels, s.classes);
    const ref = reportPerformanceMetrics(s.labels, s.predicted, s.classes);
    expect(ours.error).toBeAllclose(ref.errors, { atol: 1e-12 });
    expect(ours.accuracy).toBeAllclose(ref.accuracies, { atol: 1e-12 });
  });

  test.prop([samples])('mean one-vs-rest error = 2 × (1 − top-1) / K', (s) => {
    const m = oneVsRestMetrics(s.predicted, s.labels, s.classes);
    const top1 = top1Accuracy(s.predicted, s.labels);
    expect(Math.abs(m.meanError - (2 * (1 - top1)) / s.classes)).toBeLessThanOrEqual(1e-12);
    expect(Math.abs(m.meanAccuracy - (1 - m.meanError))).toBeLessThanOrEqual(1e-12);
  });

  test.prop([samples])('confusion matrix sums to N and its trace / N is top-1', (s) => {
    const cm = confusionMatrix(s.predicted, s.labels, s.classes);
    const total = cm.flat().reduce((a, b) => a + b, 0);
    const trace = cm.reduce((a, row, k) => a + row[k]!, 0);
    expect(total).toBe(s.labels.length);
    expect(trace / s.labels.length).toBe(top1Accuracy(s.predicted, s.labels));
  });
});

describe('score matrices', () => {
  it('take the row-wise argmax and default the classes to the columns', () => {
    const scores = Matrix.from1DArray(3, 4, [0.1, 0.7, 0.1, 0.1, 2, 1, 0, -1, 0, 0, 0, 5]);
    expect(top1Accuracy(scores, [1, 0, 2])).toBeCloseTo(2 / 3, 15);
    expect(confusionMatrix(scores, [1, 0, 2])).toHaveLength(4);
    const m = oneVsRestMetrics(scores, [1, 0, 2]);
    expect(m.error).toEqual([0, 0, 1 / 3, 1 / 3]);
    expect(oneVsRestMetrics([1, 0, 3], [1, 0, 2])).toEqual(m);
  });
});
