import { isLeft } from 'fp-ts/lib/Either.js';
import { glorotUniform, heNormal, type Initializer, normal, zeros } from './init.js';
import type { Layer } from './layer.js';
import { logSoftmax, relu, sigmoid, softmax, tanh } from './layers/activations.js';
import { dense } from './layers/dense.js';
import { serial } from './layers/serial.js';
import {
  type Activation,
  decodeModelSpec,
  type InitSpec,
  type LayerSpec,
  type ModelSpec,
} from './spec.js';

const activations: Record<Activation, Layer> = { relu, tanh, sigmoid, softmax, logSoftmax };

const initializer = (spec: InitSpec): Initializer =>
  typeof spec === 'object' ? normal(spec.normal) : { heNormal, glorotUniform, zeros }[spec];

const layerFromSpec = (spec: LayerSpec): Layer => {
  if (typeof spec === 'string') return activations[spec];
  if (typeof spec.dense === 'number') return dense(spec.dense);
  const { units, init, bias } = spec.dense;
  return dense(units, {
    ...(init && { init: initializer(init) }),
    ...(bias && { bias: initializer(bias) }),
  });
};

/** Builds the model a JSON spec describes (validated first: errors name the path, e.g. `layers[2].dense`). */
export const modelFromSpec = (spec: ModelSpec | unknown): Layer => {
  const decoded = decodeModelSpec(spec);
  if (isLeft(decoded))
    throw new TypeError(`modelFromSpec: invalid model spec:\n  ${decoded.left.join('\n  ')}`);
  return serial(...decoded.right.layers.map(layerFromSpec));
};
