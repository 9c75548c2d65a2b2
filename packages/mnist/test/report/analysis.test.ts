import { describe, expect, it } from 'vitest';
import type { Dataset } from '../../src/data.js';
import type { Evaluation } from '../../src/evaluate.js';
import { analyseTest } from '../../src/report/analysis.js';
import { mistakesSvg } from '../../src/report/mistakes.js';

// Five 2 × 2 images; image i is filled with the byte 10·i so the grid's pixels can be traced.
const ds: Dataset = {
  images: Uint8Array.from({ length: 20 }, (_, j) => 10 * Math.floor(j / 4)),
  labels: Uint8Array.from([0, 1, 2, 3, 4]),
  count: 5,
  rows: 2,
  cols: 2,
};
const evaluation = (predictions: number[], confidences: number[]): Evaluation => ({
  loss: 0,
  top1: 0,
  oneVsRestError: [],
  oneVsRestAccuracy: [],
  predictions: Int32Array.from(predictions),
  confidences: Float64Array.from(confidences),
});

describe('analyseTest', () => {
  it('counts confusions and lists mistakes most confident first, ties by index', () => {
    const a = analyseTest(evaluation([0, 2, 1, 3, 0], [0.9, 0.6, 0.8, 0.7, 0.6]), ds);
    expect(a.confusion[1]![2]).toBe(1);
    expect(a.confusion[2]![1]).toBe(1);
    expect(a.confusion[4]![0]).toBe(1);
    expect(a.confusion[0]![0]! + a.confusion[3]![3]!).toBe(2);
    expect(a.mistakes.map((m) => [m.index, m.label, m.predicted, m.confidence])).toEqual([
      [2, 2, 1, 0.8],
      [1, 1, 2, 0.6],
      [4, 4, 0, 0.6],
    ]);
    expect(Array.from(a.mistakes[0]!.pixels)).toEqual([20, 20, 20, 20]);
    expect(a.mistakeCount).toBe(3);
  });

  it('keeps at most maxMistakes and says how many there were', () => {
    const a = analyseTest(evaluation([1, 2, 3, 4, 0], [0.5, 0.5, 0.5, 0.5, 0.9]), ds, 2);
    expect(a.mistakes.map((m) => m.index)).toEqual([4, 0]);
    expect(a.mistakeCount).toBe(5);
    const svg = mistakesSvg(a);
    expect(svg.match(/<image /g)).toHaveLength(2);
    expect(svg).toContain('the 2 most confident of 5 mistakes on 5 test digits');
    expect(svg).toContain('4 → 0');
    expect(svg).toContain('p 0.900');
  });

  it('says when there are no mistakes', () => {
    const a = analyseTest(evaluation([0, 1, 2, 3, 4], [1, 1, 1, 1, 1]), ds);
    expect(a.mistakes).toEqual([]);
    expect(mistakesSvg(a)).toContain('no mistakes on the 5 test digits');
  });
});
