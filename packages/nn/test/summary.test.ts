import { describe, expect, test } from 'vitest';
import {
  Dense,
  formatSummary,
  modelFromSpec,
  Relu,
  reportModelSpec,
  Serial,
  summary,
  Tanh,
} from '../src/index.js';

describe('summary', () => {
  test("the report's model: each layer's width and parameters, 89 610 in all", () => {
    const s = summary(modelFromSpec(reportModelSpec), 784);
    expect(s.rows).toEqual([
      { name: 'Dense(100)', outputCols: 100, params: 784 * 100 + 100 },
      { name: 'Relu', outputCols: 100, params: 0 },
      { name: 'Dense(100)', outputCols: 100, params: 100 * 100 + 100 },
      { name: 'Relu', outputCols: 100, params: 0 },
      { name: 'Dense(10)', outputCols: 10, params: 100 * 10 + 10 },
    ]);
    expect(s.totalParams).toBe(89_610);
  });

  test('nested Serial layers are listed one by one; a plain layer is one row', () => {
    const nested = Serial(Serial(Dense(3), Tanh), Serial(Dense(2), Relu));
    expect(summary(nested, 4).rows.map((r) => [r.name, r.outputCols, r.params])).toEqual([
      ['Dense(3)', 3, 15],
      ['Tanh', 3, 0],
      ['Dense(2)', 2, 8],
      ['Relu', 2, 0],
    ]);
    expect(summary(Dense(5), 2)).toEqual({
      inputCols: 2,
      rows: [{ name: 'Dense(5)', outputCols: 5, params: 15 }],
      totalParams: 15,
    });
  });

  test('formatSummary aligns the columns and groups digits in threes', () => {
    expect(formatSummary(summary(modelFromSpec(reportModelSpec), 784))).toBe(
      [
        'layer       output  params',
        'input          784',
        'Dense(100)     100  78 500',
        'Relu           100       0',
        'Dense(100)     100  10 100',
        'Relu           100       0',
        'Dense(10)       10   1 010',
        'total               89 610',
      ].join('\n'),
    );
  });

  test('a width a layer rejects is reported as the layer reports it', () => {
    expect(() => summary(Dense(3), 0)).toThrow(
      /Dense\(3\): the input width must be a positive integer, got 0/,
    );
  });
});
