import {
  type Key,
  type LayerSite,
  NonFiniteError,
  split,
  type Tensor,
  type Tree,
} from '@difftape/core';
import type { Layer, Params } from '../layer.js';

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

/** Layers applied one after another; itself a layer whose parameters are the array of theirs. */
export const Serial = (...layers: Layer[]): Layer => {
  if (layers.length === 0) throw new RangeError('Serial: needs at least one layer');
  const name = `Serial(${layers.map((l) => l.name).join(', ')})`;
  return {
    name,
    layers,
    init: (key: Key, inputCols: number) => {
      const keys = split(key, layers.length);
      const params: Params[] = [];
      let cols = inputCols;
      layers.forEach((layer, i) => {
        const [p, out] = within(`Serial: layer ${i} (${layer.name})`, () =>
          layer.init(keys[i]!, cols),
        );
        params.push(p);
        cols = out;
      });
      return [params, cols];
    },
    apply: (params: Tree<Tensor>, x: Tensor) => {
      const ps = params as readonly Tree<Tensor>[];
      if (!Array.isArray(ps) || ps.length !== layers.length) {
        throw new TypeError(
          `Serial: expected an array of ${layers.length} parameter sets, got ${Array.isArray(ps) ? ps.length : typeof ps}`,
        );
      }
      return layers.reduce<Tensor>(
        (h, layer, i) =>
          within(`Serial: layer ${i} (${layer.name})`, () => layer.apply(ps[i]!, h), {
            index: i,
            name: layer.name,
          }),
        x,
      );
    },
  };
};
