import { add, type Matrix, treeZip } from '@difftape/core';
import type { Params } from '../layer.js';

/**
 * An optimiser is a gradient transformation (optax's shape): `init` makes its state from the
 * parameters, `update` turns gradients into updates and returns the next state. Both are pure.
 * States are plain trees of matrices and numbers, so checkpoints can store them.
 */
export interface GradientTransformation<S = unknown> {
  // Methods, so a transformation with a precise state (`[CountState]`) is also one with a looser
  // state (`unknown[]`): callers that only store and hand back the state need not know it.
  /** The state before the first step, e.g. zero moments shaped like `params`. */
  init(params: Params): S;
  /** Transforms incoming updates (gradients, for the first in a chain) into outgoing ones. */
  update(updates: Params, state: S, params: Params): [Params, S];
}

/** Parameters plus updates, leaf by leaf, into fresh matrices; the result is typed like `params`. */
export const applyUpdates = <P extends Params>(params: P, updates: Params): P =>
  // treeZip keeps the structure of its first tree and maps matrices to matrices: a `P` again.
  treeZip(params, updates, (p: Matrix, u: Matrix) => add(p, u)) as P;

/** `f` on every pair of leaves of two parameter trees of the same structure. */
export const zipParams = (
  a: Params,
  b: Params,
  f: (x: Matrix, y: Matrix, path: string) => Matrix,
): Params => treeZip(a, b, f);
