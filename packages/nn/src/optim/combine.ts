import type { GradientTransformation } from './base.js';
import { disownAll, isOwnershipAware, ownershipAware, settleAll, withOwnedScope } from './owned.js';

// biome-ignore lint/suspicious/noExplicitAny: each transformation keeps its own state type
type AnyTransformation = GradientTransformation<any>;

/** The state of one transformation: `StateOf<GradientTransformation<S>>` is `S`. */
export type StateOf<T> = T extends GradientTransformation<infer S> ? S : never;

/** The state of `chain(...transforms)`: the tuple of their states. */
export type ChainState<Ts extends readonly AnyTransformation[]> = {
  -readonly [K in keyof Ts]: StateOf<Ts[K]>;
};

/**
 * Transformations applied in order; the state is the tuple of their states. Later stages may write
 * into the updates earlier ones made (owned.ts), never into what a stage of unknown habits sees.
 */
export const chain = <const Ts extends readonly AnyTransformation[]>(
  ...transforms: Ts
): GradientTransformation<ChainState<Ts>> =>
  ownershipAware({
    // One state per transformation, in order: the tuple type only says which is which.
    init: (params) => transforms.map((t) => t.init(params)) as ChainState<Ts>,
    update: (updates, state, params) => {
      const states: readonly unknown[] = state;
      if (!Array.isArray(states) || states.length !== transforms.length) {
        throw new TypeError(
          `chain: expected a state array of ${transforms.length}, got ${Array.isArray(states) ? states.length : typeof states}`,
        );
      }
      return withOwnedScope(() => {
        const next: unknown[] = [];
        let u = updates;
        transforms.forEach((t: AnyTransformation, i) => {
          const aware = isOwnershipAware(t);
          if (aware) settleAll();
          else disownAll();
          const [ui, si] = t.update(u, states[i], params);
          if (!aware) disownAll();
          u = ui;
          next.push(si);
        });
        return [u, next as ChainState<Ts>];
      });
    },
  });
