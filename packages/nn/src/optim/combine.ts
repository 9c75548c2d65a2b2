import type { GradientTransformation } from './base.js';

// biome-ignore lint/suspicious/noExplicitAny: each transformation keeps its own state type
type AnyTransformation = GradientTransformation<any>;

/** Transformations applied in order; the state is the array of their states. */
export const chain = (...transforms: AnyTransformation[]): GradientTransformation<unknown[]> => ({
  init: (params) => transforms.map((t) => t.init(params)),
  update: (updates, state, params) => {
    if (!Array.isArray(state) || state.length !== transforms.length) {
      throw new TypeError(
        `chain: expected a state array of ${transforms.length}, got ${Array.isArray(state) ? state.length : typeof state}`,
      );
    }
    const next: unknown[] = [];
    let u = updates;
    transforms.forEach((t, i) => {
      const [ui, si] = t.update(u, state[i], params);
      u = ui;
      next.push(si);
    });
    return [u, next];
  },
});
