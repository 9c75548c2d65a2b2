import {
  add,
  div,
  filled,
  type Key,
  type Matrix,
  mean,
  mul,
  sqrt,
  square,
  sub,
  type Tensor,
  type Traceable,
} from '@difftape/core';
import type { Layer } from '../layer.js';
import { checkNumber, greaterThan } from '../numbers.js';
import { checkSamples, checkShape, type Shape, sizeOf } from '../shape.js';

/** Options of `LayerNorm`. */
export interface LayerNormOptions {
  /** Added to the variance under the square root. Default 1e-5, as PyTorch. */
  readonly eps?: number;
}

/** Parameters of a layer normalisation: a 1 × n scale (init 1) and bias (init 0). */
export type LayerNormParams = {
  readonly scale: Matrix;
  readonly bias: Matrix;
};

/**
 * Layer normalisation (Ba, Kiros & Hinton): each sample's values, over its whole shape, shifted to
 * mean 0 and scaled to variance 1, then scaled and shifted per value by learnt parameters.
 */
export const LayerNorm = ({ eps = 1e-5 }: LayerNormOptions = {}): Layer<LayerNormParams> => {
  const name = 'LayerNorm';
  checkNumber(`${name}: eps`, eps, greaterThan(0));
  return {
    name,
    outputShape: (shape: Shape) => {
      checkShape(name, shape);
      return shape;
    },
    init: (_key: Key, inputShape: Shape) => {
      checkShape(name, inputShape);
      const n = sizeOf(inputShape);
      return [{ scale: filled(1, n, 1), bias: filled(1, n, 0) }, inputShape];
    },
    apply: ({ scale, bias }: LayerNormParams | Traceable<LayerNormParams>, x: Tensor) => {
      checkSamples(name, x, [scale.columns]);
      const centred = sub(x, mean(x, 'cols'));
      const std = sqrt(add(mean(square(centred), 'cols'), eps));
      return add(mul(div(centred, std), scale), bias);
    },
  };
};
