import { showValue } from '@difftape/core';
import { type Either, isLeft, left, right } from 'fp-ts/lib/Either.js';
import * as t from 'io-ts';
import {
  DropoutRate,
  decodeOrThrow,
  exactObject,
  formatDecodeErrors,
  PositiveInt,
  PositiveNumber,
} from './decode.js';

/**
 * A model as data: `{"layers": [{"dense": 100}, "relu", {"dense": 10}]}`, or a convolutional one
 * `{"input": [1, 28, 28], "layers": [{"conv2d": {"filters": 8, "kernel": 5}}, "relu", ...]}`. This
 * module only validates and encodes specs; `modelFromSpec` turns one into layers.
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

/** A parameter-free reshaping layer's name: `"flatten"`. */
export const ShapeLayerName = t.keyof({ flatten: null }, '"flatten"');

/** A convolution: `{"filters", "kernel", "padding"?: "same" | "valid", "stride"?, "init"?, "bias"?}`. */
export const Conv2dConfig = exactObject(
  { filters: PositiveInt, kernel: PositiveInt },
  {
    padding: t.keyof({ same: null, valid: null }, 'one of "same", "valid"'),
    stride: PositiveInt,
    init: InitSpec,
    bias: InitSpec,
  },
  'an object {"filters", "kernel", "padding"?, "stride"?, "init"?, "bias"?}',
);
/** A convolution's settings. */
export type Conv2dConfig = t.TypeOf<typeof Conv2dConfig>;

/** The object layers, by their one key: `{"dense": ...}`, `{"conv2d": {...}}`, `{"maxPool2d": 2}`, ... */
const objectLayers = {
  dense: t.union([PositiveInt, DenseConfig], 'units or a dense config'),
  conv2d: Conv2dConfig,
  maxPool2d: PositiveInt,
  avgPool2d: PositiveInt,
  dropout: DropoutRate,
  layerNorm: exactObject({}, { eps: PositiveNumber }, 'an object {"eps"?}'),
};
type ObjectLayerKind = keyof typeof objectLayers;
const OBJECT_KINDS = Object.keys(objectLayers) as ObjectLayerKind[];

const objectLayer = <K extends ObjectLayerKind>(kind: K) =>
  exactObject(
    { [kind]: objectLayers[kind] } as { [P in K]: (typeof objectLayers)[K] },
    {},
    `an object {"${kind}": ...}`,
  );

/** A dense layer: `{"dense": units}` or `{"dense": {"units": ..., "init": ..., "bias": ...}}`. */
export const DenseSpec = objectLayer('dense');
/** A dense layer: `{"dense": units}` or `{"dense": {"units": ..., "init": ..., "bias": ...}}`. */
export type DenseSpec = t.TypeOf<typeof DenseSpec>;
/** A convolution layer: `{"conv2d": {"filters": 8, "kernel": 5, "padding": "same"}}`. */
export const Conv2dSpec = objectLayer('conv2d');
/** A convolution layer. */
export type Conv2dSpec = t.TypeOf<typeof Conv2dSpec>;
/** Max pooling over k × k windows with stride k: `{"maxPool2d": k}`. */
export const MaxPool2dSpec = objectLayer('maxPool2d');
/** Average pooling over k × k windows with stride k: `{"avgPool2d": k}`. */
export const AvgPool2dSpec = objectLayer('avgPool2d');
/** Dropout at a rate in [0, 1): `{"dropout": 0.25}`. */
export const DropoutSpec = objectLayer('dropout');
/** Layer normalisation: `{"layerNorm": {}}` or `{"layerNorm": {"eps": 1e-5}}`. */
export const LayerNormSpec = objectLayer('layerNorm');

/** A parameter-free layer's name: an activation or `"flatten"`. */
const LayerName = t.keyof(
  { ...ActivationName.keys, ...ShapeLayerName.keys },
  'one of "relu", "tanh", "sigmoid", "softmax", "logSoftmax", "flatten"',
);
const objectCodecs = {
  dense: DenseSpec,
  conv2d: Conv2dSpec,
  maxPool2d: MaxPool2dSpec,
  avgPool2d: AvgPool2dSpec,
  dropout: DropoutSpec,
  layerNorm: LayerNormSpec,
} satisfies Record<ObjectLayerKind, t.Mixed>;
const members = [LayerName, ...Object.values(objectCodecs)] as const;
const layerMembers = t.union([LayerName, ...Object.values(objectCodecs)] as [
  typeof LayerName,
  typeof DenseSpec,
  typeof Conv2dSpec,
  typeof MaxPool2dSpec,
  typeof AvgPool2dSpec,
  typeof DropoutSpec,
  typeof LayerNormSpec,
]);
const isObjectKind = (k: string): k is ObjectLayerKind => OBJECT_KINDS.some((o) => o === k);

/** Checks `u` against member `i` of the layer union, as a union would (so error paths read alike). */
const asMember = (i: number, u: unknown, c: t.Context) => {
  const codec = members[i]!;
  return codec.validate(u, t.appendContext(c, String(i), codec, u));
};

/**
 * One entry of `layers`: a name (`"relu"`, `"flatten"`, ...) or an object with one key naming its
 * kind. An object is checked against its kind's codec only, so errors speak of that kind.
 */
export const LayerSpec = new t.UnionType<
  typeof layerMembers.types,
  t.TypeOf<typeof layerMembers>,
  t.OutputOf<typeof layerMembers>,
  unknown
>(
  'a layer',
  layerMembers.is,
  (u, c) => {
    if (typeof u === 'string') return asMember(0, u, c);
    if (typeof u !== 'object' || u === null || Array.isArray(u))
      return t.failure(
        u,
        c,
        `expected a layer name or an object {"<kind>": ...}, got ${showValue(u)}`,
      );
    const kinds = Object.keys(u).filter(isObjectKind);
    if (kinds.length !== 1)
      return t.failure(
        u,
        c,
        kinds.length === 0
          ? `expected a layer name or an object with one of the keys ${OBJECT_KINDS.map((k) => JSON.stringify(k)).join(', ')}, got ${showValue(u)}`
          : `expected one layer kind, got ${kinds.map((k) => JSON.stringify(k)).join(' and ')}`,
      );
    return asMember(1 + OBJECT_KINDS.indexOf(kinds[0]!), u, c);
  },
  layerMembers.encode,
  layerMembers.types,
);
/** One entry of `layers`. */
export type LayerSpec = t.TypeOf<typeof LayerSpec>;

/** The shape of one input sample, e.g. `[1, 28, 28]` (C × H × W) or `[784]`. */
export const InputShape = t.array(PositiveInt, 'an array of positive integers');

/** A model spec, `{"input"?: [...], "layers": [...]}`; unknown keys anywhere are rejected. */
export const ModelSpec = exactObject(
  { layers: t.array(LayerSpec) },
  { input: InputShape },
  'an object {"input"?, "layers": [...]}',
);
/** A model spec, `{"input"?: [...], "layers": [...]}`. */
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

/** Whether a spec's layers need an image shape (convolution, pooling) rather than only a width. */
export const needsImageShape = (spec: ModelSpec): boolean =>
  spec.layers.some(
    (l) => typeof l === 'object' && ('conv2d' in l || 'maxPool2d' in l || 'avgPool2d' in l),
  );
