import { type DenseSpec, denseUnits, type ModelSpec } from './spec.js';

/** A parameter shape [rows, cols]. */
export type ShapePair = readonly [rows: number, cols: number];

/** The parameters' shapes for one layer of a spec: `{W, b}` for dense, `{}` for an activation. */
export type LayerShapes = { readonly W: ShapePair; readonly b: ShapePair } | Record<string, never>;

const isDense = (layer: ModelSpec['layers'][number]): layer is DenseSpec =>
  typeof layer === 'object';

/**
 * The parameter shapes that `modelFromSpec(spec).init(key, inputCols)` returns, computed without
 * allocating anything: a checkpoint's spec is checked against its tensors with this before a model
 * of the spec's size is built.
 */
export const specParamShapes = (spec: ModelSpec, inputCols: number): LayerShapes[] => {
  let cols = inputCols;
  return spec.layers.map((layer) => {
    if (!isDense(layer)) return {};
    const units = denseUnits(layer);
    const shapes = { W: [cols, units] as const, b: [1, units] as const };
    cols = units;
    return shapes;
  });
};

/** The input width of the first dense layer's `W` in a params-shaped tree, if there is one. */
export const specInputCols = (spec: ModelSpec, params: unknown): number | undefined => {
  const first = spec.layers.findIndex(isDense);
  if (first < 0 || !Array.isArray(params)) return undefined;
  const layer: unknown = params[first];
  if (typeof layer !== 'object' || layer === null || !('W' in layer)) return undefined;
  const W: unknown = layer.W;
  return Array.isArray(W) && typeof W[0] === 'number' ? W[0] : undefined;
};
