import { isLeft } from 'fp-ts/lib/Either.js';
import { glorotUniform, heNormal, type Initialiser, normalInit, zeros } from './init.js';
import type { AnyLayer, Layer } from './layer.js';
import { LogSoftmax, Relu, Sigmoid, Softmax, Tanh } from './layers/activations.js';
import { Dense } from './layers/dense.js';
import { Serial } from './layers/serial.js';
import {
  type ActivationName,
  decodeModelSpec,
  type InitSpec,
  type LayerSpec,
  type ModelSpec,
} from './spec.js';

// The spec's JSON keys stay lower-case (`"relu"`); the layer values are the capitalised constructors.
const activations: Record<ActivationName, AnyLayer> = {
  relu: Relu,
  tanh: Tanh,
  sigmoid: Sigmoid,
  softmax: Softmax,
  logSoftmax: LogSoftmax,
};

const initialiser = (spec: InitSpec): Initialiser =>
  typeof spec === 'object' ? normalInit(spec.normal) : { heNormal, glorotUniform, zeros }[spec];

const layerFromSpec = (spec: LayerSpec): AnyLayer => {
  if (typeof spec === 'string') return activations[spec];
  if (typeof spec.dense === 'number') return Dense(spec.dense);
  const { units, init, bias } = spec.dense;
  return Dense(units, {
    ...(init && { init: initialiser(init) }),
    ...(bias && { bias: initialiser(bias) }),
  });
};

/** Builds the model a JSON spec describes (validated first: errors name the path, e.g. `layers[2].dense`). */
export const modelFromSpec = (spec: ModelSpec | unknown): Layer => {
  const decoded = decodeModelSpec(spec);
  if (isLeft(decoded))
    throw new TypeError(`modelFromSpec: invalid model spec:\n  ${decoded.left.join('\n  ')}`);
  // The spec is data, so its parameter types are only known at run time: a `Layer` of any tree.
  const model: AnyLayer = Serial(...decoded.right.layers.map(layerFromSpec));
  return model;
};
