import { type Either, isLeft, left, right } from 'fp-ts/lib/Either.js';
import * as t from 'io-ts';
import {
  decodeOrThrow,
  exactObject,
  formatDecodeErrors,
  PositiveInt,
  PositiveNumber,
} from './decode.js';

/**
 * A model as data: `{"layers": [{"dense": 100}, "relu", {"dense": 10}]}`. This module only
 * validates and encodes specs; `modelFromSpec` turns one into layers.
 */

/** An activation layer's name. */
export const ActivationName = t.keyof(
  { relu: null, tanh: null, sigmoid: null, softmax: null, logSoftmax: null },
  'one of "relu", "tanh", "sigmoid", "softmax", "logSoftmax"',
);
/** An activation layer's name. */
export type ActivationName = t.TypeOf<typeof ActivationName>;

/** An initialiser: `{"normal": std}`, `"heNormal"`, `"glorotUniform"` or `"zeros"`. */
export const InitSpec = t.union(
  [
    exactObject({ normal: PositiveNumber }, {}, 'an object {"normal": std}'),
    t.keyof(
      { heNormal: null, glorotUniform: null, zeros: null },
      'one of "heNormal", "glorotUniform", "zeros"',
    ),
  ],
  'an initialiser',
);
/** An initialiser: `{"normal": std}`, `"heNormal"`, `"glorotUniform"` or `"zeros"`. */
export type InitSpec = t.TypeOf<typeof InitSpec>;

/** A dense layer's full form: its units and optionally its weight and bias initialisers. */
export const DenseConfig = exactObject(
  { units: PositiveInt },
  { init: InitSpec, bias: InitSpec },
  'an object {"units", "init"?, "bias"?}',
);
/** A dense layer's full form: its units and optionally its weight and bias initialisers. */
export type DenseConfig = t.TypeOf<typeof DenseConfig>;

/** A dense layer: `{"dense": units}` or `{"dense": {"units": ..., "init": ..., "bias": ...}}`. */
export const DenseSpec = exactObject(
  { dense: t.union([PositiveInt, DenseConfig], 'units or a dense config') },
  {},
  'an object {"dense": ...}',
);
/** A dense layer: `{"dense": units}` or `{"dense": {"units": ..., "init": ..., "bias": ...}}`. */
export type DenseSpec = t.TypeOf<typeof DenseSpec>;

/** One entry of `layers`: an activation name or a dense layer. */
export const LayerSpec = t.union([ActivationName, DenseSpec], 'a layer');
/** One entry of `layers`: an activation name or a dense layer. */
export type LayerSpec = t.TypeOf<typeof LayerSpec>;

/** A model spec, `{"layers": [...]}`; unknown keys anywhere are rejected. */
export const ModelSpec = exactObject(
  { layers: t.array(LayerSpec) },
  {},
  'an object {"layers": [...]}',
);
/** A model spec, `{"layers": [...]}`. */
export type ModelSpec = t.TypeOf<typeof ModelSpec>;

/** Validates a parsed JSON value as a model spec; on failure, one readable line per error. */
export const decodeModelSpec = (json: unknown): Either<string[], ModelSpec> => {
  const result = ModelSpec.decode(json);
  return isLeft(result) ? left(formatDecodeErrors(result.left)) : right(result.right);
};

/** Parses and validates a model spec from JSON text; a syntax error is reported as one line. */
export const parseModelSpec = (text: string): Either<string[], ModelSpec> => {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    return left([`invalid JSON: ${(e as Error).message}`]);
  }
  return decodeModelSpec(json);
};

/** The units of a dense layer, whichever form it was written in. */
export const denseUnits = (layer: DenseSpec): number =>
  typeof layer.dense === 'number' ? layer.dense : layer.dense.units;

const reportDense = (units: number) => ({
  dense: { units, init: { normal: 0.1 }, bias: 'zeros' },
});

/** The report's 784-100-100-10 MLP: ReLU hidden layers, N(0, 0.1) weights, zero biases, logits out. */
export const reportModelSpec: ModelSpec = decodeOrThrow(
  ModelSpec,
  { layers: [reportDense(100), 'relu', reportDense(100), 'relu', reportDense(10)] },
  'reportModelSpec',
);
