import {
  type Key,
  type LayerSite,
  NonFiniteError,
  split,
  type Tensor,
  type Tree,
} from '@difftape/core';
import {
  type AnyLayer,
  contextShape,
  type Layer,
  outputShapeOf,
  type Params,
  type ParamsOf,
} from '../layer.js';
import type { Shape } from '../shape.js';

/** Prefixes an error from inside a layer with where that layer sits; places a NonFiniteError in it. */
const within = <T>(where: string, f: () => T, site?: LayerSite): T => {
  try {
    return f();
  } catch (e) {
    if (e instanceof NonFiniteError) throw site ? e.inLayer(site) : e;
    if (!(e instanceof Error)) throw e;
    const Kind = e instanceof RangeError ? RangeError : e instanceof TypeError ? TypeError : Error;
    throw new Kind(`${where}: ${e.message}`, { cause: e });
  }
};

/** The parameters of `Serial(...layers)`: the tuple of its layers' parameters. */
export type SerialParams<Ls extends readonly AnyLayer[]> = {
  -readonly [K in keyof Ls]: ParamsOf<Ls[K]>;
};

/**
 * Layers applied one after another; itself a layer whose parameters are the tuple of theirs, so
 * `Serial(Dense(8), Relu, Dense(2))` has parameters `[DenseParams, NoParams, DenseParams]`.
 */
export const Serial = <const Ls extends readonly AnyLayer[]>(
  ...layers: Ls
): Layer<SerialParams<Ls>> => {
  if (layers.length === 0) throw new RangeError('Serial: needs at least one layer');
  const name = `Serial(${layers.map((l) => l.name).join(', ')})`;
  const where = (i: number) => `Serial: layer ${i} (${layers[i]!.name})`;
  return {
    name,
    layers,
    init: (key: Key, inputShape: Shape) => {
      const keys = split(key, layers.length);
      const params: Params[] = [];
      let shape = inputShape;
      layers.forEach((layer, i) => {
        const [p, out] = within(where(i), () => layer.init(keys[i]!, shape));
        params.push(p);
        shape = out;
      });
      // One entry per layer, in order: the tuple type only says which entry is which.
      return [params as SerialParams<Ls>, shape];
    },
    outputShape: (inputShape: Shape) =>
      layers.reduce<Shape>(
        (shape, layer, i) => within(where(i), () => outputShapeOf(layer, shape)),
        inputShape,
      ),
    apply: (params, x: Tensor, context = {}) => {
      // Each layer checks its own entry; here they are only handed on, so any tree will do.
      const ps: Tree<Tensor> = params;
      if (!Array.isArray(ps) || ps.length !== layers.length) {
        throw new TypeError(
          `Serial: expected an array of ${layers.length} parameter sets, got ${Array.isArray(ps) ? ps.length : typeof ps}`,
        );
      }
      // Each layer gets its own key and is told the shape of its input.
      const keys = context.key && split(context.key, layers.length);
      let shape = contextShape(x, context);
      return layers.reduce<Tensor>(
        (h, layer: AnyLayer, i) =>
          within(
            where(i),
            () => {
              const y = layer.apply(ps[i]!, h, { ...context, key: keys?.[i], shape });
              shape = layer.outputShape ? layer.outputShape(shape) : [y.columns];
              return y;
            },
            { index: i, name: layer.name },
          ),
        x,
      );
    },
  };
};
