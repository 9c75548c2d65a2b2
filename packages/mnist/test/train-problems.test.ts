import { decodeOrThrow, ModelSpec } from '@difftape/nn';
import { describe, expect, it } from 'vitest';
import { makeDataset } from '../src/data.js';
import { reportConfig } from '../src/run/config.js';
import { trainProblems } from '../src/train.js';

const data = {
  train: makeDataset(new Uint8Array(60 * 784), new Uint8Array(60), 28, 28, 'test'),
  test: makeDataset(new Uint8Array(2 * 784), new Uint8Array(2), 28, 28, 'test'),
};
const problemsOf = (model: unknown) =>
  trainProblems({ ...reportConfig, model: decodeOrThrow(ModelSpec, model, 'spec') }, data);
const refusal = (what: string) => [
  {
    field: 'model',
    message: `the model must output one score per class (10), but ${what}; end it with {"dense": 10}`,
  },
];

describe('trainProblems: the output width, from the model’s inferred output shape', () => {
  it('accepts layers after the last dense one that keep its width (dropout, an activation)', () => {
    expect(
      problemsOf({ layers: [{ dense: 32 }, 'relu', { dense: 10 }, { dropout: 0.5 }] }),
    ).toEqual([]);
    expect(problemsOf({ layers: [{ dense: 10 }, { dropout: 0.25 }, 'logSoftmax'] })).toEqual([]);
    expect(problemsOf({ layers: [{ dense: 10 }, { layerNorm: {} }] })).toEqual([]);
  });

  it('accepts a network whose last convolution leaves ten values per sample', () => {
    const conv = { conv2d: { filters: 10, kernel: 28, padding: 'valid' } };
    expect(problemsOf({ input: [1, 28, 28], layers: [conv, 'flatten'] })).toEqual([]);
  });

  it('refuses a dense layer of the wrong width even behind dropout', () => {
    expect(
      problemsOf({ layers: [{ dense: 100 }, 'relu', { dense: 5 }, { dropout: 0.5 }] }),
    ).toEqual(refusal('its last dense layer has 5 units (layer 2)'));
  });

  it('refuses a convolutional network that ends without ten outputs, naming the layer and shape', () => {
    const layers = [{ conv2d: { filters: 6, kernel: 5 } }, 'relu', { maxPool2d: 2 }];
    expect(problemsOf({ input: [1, 28, 28], layers })).toEqual(
      refusal('layer 2 (maxPool2d) leaves 864 values per sample (output shape 6x12x12)'),
    );
    expect(problemsOf({ input: [1, 28, 28], layers: [...layers, 'flatten'] })).toEqual(
      refusal('layer 2 (maxPool2d) leaves 864 values per sample (output shape 864)'),
    );
  });

  it('refuses a model without layers, or with none that changes the input’s width', () => {
    expect(problemsOf({ layers: [] })).toEqual(
      refusal('it has no layers, so its output is the 784-pixel input'),
    );
    expect(problemsOf({ layers: ['relu', { dropout: 0.1 }] })).toEqual(
      refusal('no layer changes the width of the 784-pixel input'),
    );
  });
});
