import { outputShapeOf } from './layer.js';
import { layerFromSpec } from './model.js';
import { type Shape, sizeOf } from './shape.js';
import type { LayerSpec, ModelSpec } from './spec.js';

/** A parameter shape [rows, cols]. */
export type ShapePair = readonly [rows: number, cols: number];

/** The parameters' shapes for one layer of a spec: `{W, b}`, `{scale, bias}`, or `{}` without parameters. */
export type LayerShapes =
  | { readonly W: ShapePair; readonly b: ShapePair }
  | { readonly scale: ShapePair; readonly bias: ShapePair }
  | Record<string, never>;

/** One layer's parameter shapes for inputs of `shape`, as its `init` makes them. */
const layerShapes = (layer: LayerSpec, shape: Shape): LayerShapes => {
  if (typeof layer === 'string') return {};
  if ('dense' in layer) {
    const units = typeof layer.dense === 'number' ? layer.dense : layer.dense.units;
    return { W: [sizeOf(shape), units], b: [1, units] };
  }
  if ('conv2d' in layer) {
    const { filters, kernel } = layer.conv2d;
    return { W: [shape[0]! * kernel * kernel, filters], b: [1, filters] };
  }
  if ('layerNorm' in layer) return { scale: [1, sizeOf(shape)], bias: [1, sizeOf(shape)] };
  return {};
};

/** One layer of a spec as `init` would see it: its parameter shapes and its samples' output shape. */
export interface SpecLayerShapes {
  readonly params: LayerShapes;
  readonly output: Shape;
}

/**
 * Each layer's parameter shapes and output shape for `modelFromSpec(spec).init(key, inputShape)`
 * (for the spec's own `"input"` when it has one), computed without allocating anything. Throws,
 * naming the layer, where a layer does not fit its input.
 */
export const specLayerShapes = (spec: ModelSpec, inputShape: Shape): SpecLayerShapes[] => {
  let shape = spec.input ?? inputShape;
  return spec.layers.map((entry, i) => {
    const layer = layerFromSpec(entry);
    let output: Shape;
    try {
      output = outputShapeOf(layer, shape);
    } catch (e) {
      throw new RangeError(`layer ${i} (${layer.name}): ${(e as Error).message}`, { cause: e });
    }
    const params = layerShapes(entry, shape);
    shape = output;
    return { params, output };
  });
};

/**
 * The parameter shapes that `modelFromSpec(spec).init(key, inputShape)` returns, without
 * allocating anything: a checkpoint's spec is checked against its tensors with this before a model
 * of the spec's size is built. Throws, naming the layer, where a layer does not fit its input.
 */
export const specParamShapes = (spec: ModelSpec, inputShape: Shape): LayerShapes[] =>
  specLayerShapes(spec, inputShape).map((l) => l.params);

/**
 * The input shape of a spec's model: its `"input"`, else the input width of its first parameter
 * layer in a params-shaped tree (the rows of a dense `W`, the columns of a layer norm's scale),
 * else undefined (a convolution's filters do not say the image's height and width).
 */
export const specInputShape = (spec: ModelSpec, params: unknown): Shape | undefined => {
  if (spec.input) return spec.input;
  const first = spec.layers.findIndex(
    (l) => typeof l === 'object' && ('dense' in l || 'conv2d' in l || 'layerNorm' in l),
  );
  const entry = spec.layers[first];
  if (typeof entry !== 'object' || !('dense' in entry) || !Array.isArray(params)) return undefined;
  const layer: unknown = params[first];
  if (typeof layer !== 'object' || layer === null || !('W' in layer)) return undefined;
  const W: unknown = layer.W;
  return Array.isArray(W) && typeof W[0] === 'number' ? [W[0]] : undefined;
};
