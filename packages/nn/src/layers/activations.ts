import type { Tensor } from '@difftape/core';
import * as core from '@difftape/core';
import { checkWidth, type Layer } from '../layer.js';

/** A parameter-free layer applying f row by row; output width = input width. */
export const activation = (name: string, f: (x: Tensor) => Tensor): Layer => ({
  name,
  init: (_key, inputCols) => {
    checkWidth(name, 'the input width', inputCols);
    return [{}, inputCols];
  },
  apply: (_params, x) => f(x),
});

/** max(0, x). */
export const relu: Layer = activation('relu', core.relu);
/** tanh(x). */
export const tanh: Layer = activation('tanh', core.tanh);
/** 1 / (1 + e⁻ˣ). */
export const sigmoid: Layer = activation('sigmoid', core.sigmoid);
/** Row-wise softmax (for probabilities; train on logits with softmaxCrossEntropy instead). */
export const softmax: Layer = activation('softmax', core.softmax);
/** Row-wise log softmax. */
export const logSoftmax: Layer = activation('logSoftmax', core.logSoftmax);
