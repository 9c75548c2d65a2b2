import { add, type Matrix, mul } from '@difftape/core';
import { addScaledInto, flatOf, rows } from '@difftape/core/kernels';
import type { GradientTransformation } from './base.js';

/**
 * Update matrices that a transformation made during the current step and handed to no one else
 * (kept in no state, given to no other leaf). A later stage of the same chain, and makeStep's
 * parameter update, may write into them instead of allocating: a fresh 784 × 100 Float64Array and
 * a pass over it cost more than the arithmetic (bench:epoch). Only matrices made inside the
 * current scope are ever written, and none has been seen outside it, so no caller can observe the
 * writes: the optimisers stay pure.
 *
 * Each owned matrix carries the factor its entries still have to be multiplied by (1: none).
 * `scaleOwned` defers its pass so that makeStep's p + u·s is one pass; every other reader settles
 * the factor first (the same product, so the same bits).
 */
let scope: Map<Matrix, number> | undefined;

/** Runs `f` inside an ownership scope, joining the caller's when there is one. */
export const withOwnedScope = <T>(f: () => T): T => {
  if (scope) return f();
  scope = new Map();
  try {
    const result = f();
    settleAll(); // the results leave the scope: no factor may stay pending
    return result;
  } finally {
    scope = undefined;
  }
};

/** Marks `m`, which the calling transformation just made and keeps nowhere, as owned. */
export const own = (m: Matrix): Matrix => {
  scope?.set(m, 1);
  return m;
};

/** d ← d·s in place, with core's own row kernel for m·s (the same loop, so the same bits). */
const scaleInPlace = (d: Float64Array, s: number): void => rows.mul(d, d, 1, Float64Array.of(s), 0);

/** Applies m's pending factor. Owned matrices always have flat storage (core's kernels made them). */
const settle = (m: Matrix, s: number): void => {
  const d = flatOf(m);
  if (s === 1 || !d) return;
  scaleInPlace(d, s);
  scope?.set(m, 1);
};

/** Applies every pending factor: before the next stage of a chain reads its updates. */
export const settleAll = (): void => {
  scope?.forEach((s, m) => {
    settle(m, s);
  });
};

/** Forgets every owned matrix: before and after code that might keep one (a user's stage). */
export const disownAll = (): void => {
  settleAll();
  scope?.clear();
};

/** m's storage, to write into, when m is owned (its factor applied); it stays owned. */
export const ownedStorage = (m: Matrix): Float64Array | undefined => {
  const s = scope?.get(m);
  if (s === undefined) return undefined;
  settle(m, s);
  return flatOf(m);
};

/** m·s (core's `mul` expression, so the same bits): deferred when m is owned, else fresh and owned. */
export const scaleOwned = (m: Matrix, s: number): Matrix => {
  if (!ownedStorage(m)) return own(mul(m, s));
  scope?.set(m, s);
  return m;
};

/**
 * p + u (core's `add` expression, u's factor applied first): into u when u is owned and shaped like
 * p (core's addScaledInto: p + u·s, one pass), else fresh. The result becomes a parameter, so it
 * is not owned afterwards.
 */
export const addIntoOwned = (p: Matrix, u: Matrix): Matrix => {
  const s = scope?.get(u);
  const d = s !== undefined && p.rows === u.rows && p.columns === u.columns ? flatOf(u) : undefined;
  const ps = d && flatOf(p);
  if (s === undefined || !d || !ps) {
    if (s !== undefined) settle(u, s);
    return add(p, u);
  }
  addScaledInto(d, ps, s);
  scope?.delete(u);
  return u;
};

// Transformations that follow the rules above. Any other (a user's own) gets no owned matrix and
// may keep what it gets or makes: the chain disowns everything around it.
const followers = new WeakSet<object>();

/** Declares that `t` writes only into owned matrices and owns only what it keeps nowhere. */
export const ownershipAware = <S>(t: GradientTransformation<S>): GradientTransformation<S> => {
  followers.add(t);
  return t;
};

/** Whether `t` was declared `ownershipAware`. */
export const isOwnershipAware = (t: object): boolean => followers.has(t);
