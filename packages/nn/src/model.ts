import { isLeft } from 'fp-ts/lib/Either.js';
import { glorotUniform, heNormal, type Initialiser, normalInit, zeros } from './init.js';
import type { AnyLayer, Layer } from './layer.js';
import { LogSoftmax, Relu, Sigmoid, Softmax, Tanh } from './layers/activations.js';
import { AvgPool2d, Conv2d, Flatten, MaxPool2d } from './layers/conv.js';
import { Dense } from './layers/dense.js';
import { Dropout } from './layers/dropout.js';
import { LayerNorm } from './layers/norm.js';
import { Serial } from './layers/serial.js';
import { WithInput } from './layers/with-input.js';
import type { Shape } from './shape.js';
import {
  type ActivationName,
  decodeModelSpec,
  type InitSpec,
  type LayerSpec,
  type ModelSpec,
} from './spec.js';

// The spec's JSON keys stay lower-case (`"relu"`); the layer values are the capitalised constructors.
const named: Record<ActivationName | 'flatten', AnyLayer> = {
  relu: Relu,
  tanh: Tanh,
  sigmoid: Sigmoid,
  softmax: Softmax,
  logSoftmax: LogSoftmax,
  flatten: Flatten,
};

const initialiser = (spec: InitSpec): Initialiser =>
  typeof spec === 'object' ? normalInit(spec.normal) : { heNormal, glorotUniform, zeros }[spec];

const initialisers = (spec: { init?: InitSpec; bias?: InitSpec }) => ({
  ...(spec.init && { init: initialiser(spec.init) }),
  ...(spec.bias && { bias: initialiser(spec.bias) }),
});

/** The layer one entry of a spec's `layers` describes. */
export const layerFromSpec = (spec: LayerSpec): AnyLayer => {
  if (typeof spec === 'string') return named[spec];
  if ('dense' in spec) {
    if (typeof spec.dense === 'number') return Dense(spec.dense);
    return Dense(spec.dense.units, initialisers(spec.dense));
  }
  if ('conv2d' in spec) {
    const { filters, kernel, padding, stride } = spec.conv2d;
    return Conv2d(filters, {
      kernel,
      ...(padding && { padding }),
      ...(stride && { stride }),
      ...initialisers(spec.conv2d),
    });
  }
  if ('maxPool2d' in spec) return MaxPool2d(spec.maxPool2d);
  if ('avgPool2d' in spec) return AvgPool2d(spec.avgPool2d);
  if ('dropout' in spec) return Dropout(spec.dropout);
  return LayerNorm(spec.layerNorm);
};

/** Options of `modelFromSpec`. */
export interface ModelOptions {
  /** The input shape when the spec has none (a CLI passes its data's, e.g. [1, 28, 28]). */
  readonly input?: Shape;
}

/**
 * Builds the model a JSON spec describes (validated first: errors name the path, e.g.
 * `layers[2].dense`). With an input shape, from the spec's `input` or `options.input`, the model
 * is bound to it (`WithInput`) and every layer's shape is checked at once: an error names the
 * layer's index and the shape it got.
 */
export const modelFromSpec = (spec: ModelSpec | unknown, options: ModelOptions = {}): Layer => {
  const decoded = decodeModelSpec(spec);
  if (isLeft(decoded))
    throw new TypeError(`modelFromSpec: invalid model spec:\n  ${decoded.left.join('\n  ')}`);
  const { layers, input: given } = decoded.right;
  // The spec is data, so its parameter types are only known at run time: a `Layer` of any tree.
  const model: AnyLayer = Serial(...layers.map(layerFromSpec));
  const input = given ?? options.input;
  if (input === undefined) return model;
  try {
    return WithInput(input, model);
  } catch (e) {
    throw new RangeError(`modelFromSpec: ${(e as Error).message}`, { cause: e });
  }
};
