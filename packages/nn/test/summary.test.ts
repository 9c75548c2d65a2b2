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

/** The LeNet-style example, shortened. */
const cnnSpec = {
  input: [1, 28, 28],
  layers: [
    { conv2d: { filters: 8, kernel: 5, padding: 'same' } },
    'relu',
    { maxPool2d: 2 },
    { conv2d: { filters: 16, kernel: 5 } },
    { maxPool2d: 2 },
    'flatten',
    { dropout: 0.25 },
    { dense: 10 },
  ],
};

describe('summary', () => {
  test("the report's model: each layer's width and parameters, 89 610 in all", () => {
    const s = summary(modelFromSpec(reportModelSpec), [784]);
    expect(s.rows).toEqual([
      { name: 'Dense(100)', outputShape: [100], params: 784 * 100 + 100 },
      { name: 'Relu', outputShape: [100], params: 0 },
      { name: 'Dense(100)', outputShape: [100], params: 100 * 100 + 100 },
      { name: 'Relu', outputShape: [100], params: 0 },
      { name: 'Dense(10)', outputShape: [10], params: 100 * 10 + 10 },
    ]);
    expect(s.totalParams).toBe(89_610);
  });

  test('nested Serial layers are listed one by one; a plain layer is one row', () => {
    const nested = Serial(Serial(Dense(3), Tanh), Serial(Dense(2), Relu));
    expect(summary(nested, [4]).rows.map((r) => [r.name, r.outputShape, r.params])).toEqual([
      ['Dense(3)', [3], 15],
      ['Tanh', [3], 0],
      ['Dense(2)', [2], 8],
      ['Relu', [2], 0],
    ]);
    expect(summary(Dense(5), [2])).toEqual({
      inputShape: [2],
      rows: [{ name: 'Dense(5)', outputShape: [5], params: 15 }],
      totalParams: 15,
    });
  });

  test('formatSummary aligns the columns and groups digits in threes', () => {
    expect(formatSummary(summary(modelFromSpec(reportModelSpec), [784]))).toBe(
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

  test('a shape a layer rejects is reported as the layer reports it', () => {
    expect(() => summary(Dense(3), [0])).toThrow(
      /Dense\(3\): an input shape must be a non-empty list of positive integers, got \[0\]/,
    );
  });

  test("a convolutional model: each layer's output shape", () => {
    const model = modelFromSpec(cnnSpec);
    expect(formatSummary(summary(model, [1, 28, 28]))).toBe(
      [
        'layer                   output  params',
        'input                  1x28x28',
        'Conv2d(8, 5x5, same)   8x28x28     208',
        'Relu                   8x28x28       0',
        'MaxPool2d(2)           8x14x14       0',
        'Conv2d(16, 5x5)       16x10x10   3 216',
        'MaxPool2d(2)            16x5x5       0',
        'Flatten                    400       0',
        'Dropout(0.25)              400       0',
        'Dense(10)                   10   4 010',
        'total                            7 434',
      ].join('\n'),
    );
  });
});
