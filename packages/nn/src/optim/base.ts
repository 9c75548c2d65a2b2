import { add, type Matrix, treeZip } from '@difftape/core';
import type { Params } from '../layer.js';

/**
 * An optimiser is a gradient transformation (optax's shape): `init` makes its state from the
 * parameters, `update` turns gradients into updates and returns the next state. Both are pure.
 * States are plain trees of matrices and numbers, so checkpoints can store them.
 */
export interface GradientTransformation<S = unknown> {
  /** The state before the first step, e.g. zero moments shaped like `params`. */
  readonly init: (params: Params) => S;
  /** Transforms incoming updates (gradients, for the first in a chain) into outgoing ones. */
  readonly update: (updates: Params, state: S, params: Params) => [Params, S];
}

/** Parameters plus updates, leaf by leaf, into fresh matrices. */
export const applyUpdates = (params: Params, updates: Params): Params =>
  treeZip(params, updates, (p: Matrix, u: Matrix) => add(p, u));

/** `f` on every pair of leaves of two parameter trees of the same structure. */
export const zipParams = (
  a: Params,
  b: Params,
  f: (x: Matrix, y: Matrix, path: string) => Matrix,
): Params => treeZip(a, b, f);
