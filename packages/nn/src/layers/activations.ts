import type { Tensor } from '@difftape/core';
import * as core from '@difftape/core';
import type { Layer, NoParams } from '../layer.js';
import { checkShape, type Shape } from '../shape.js';

/** A parameter-free layer applying f row by row; the output has the input's shape. */
export const Activation = (name: string, f: (x: Tensor) => Tensor): Layer<NoParams> => {
  const outputShape = (inputShape: Shape): Shape => {
    checkShape(name, inputShape);
    return inputShape;
  };
  return {
    name,
    outputShape,
    init: (_key, inputShape) => [{}, outputShape(inputShape)],
    apply: (_params, x) => f(x),
  };
};

/** max(0, x). */
export const Relu: Layer<NoParams> = Activation('Relu', core.relu);
/** tanh(x). */
export const Tanh: Layer<NoParams> = Activation('Tanh', core.tanh);
/** 1 / (1 + e⁻ˣ). */
export const Sigmoid: Layer<NoParams> = Activation('Sigmoid', core.sigmoid);
/** Row-wise softmax (for probabilities; train on logits with softmaxCrossEntropy instead). */
export const Softmax: Layer<NoParams> = Activation('Softmax', core.softmax);
/** Row-wise log softmax. */
export const LogSoftmax: Layer<NoParams> = Activation('LogSoftmax', core.logSoftmax);
