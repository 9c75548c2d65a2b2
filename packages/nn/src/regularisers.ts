import { abs, filled, type Matrix, scalar, shapeString, sign, square, sum } from '@difftape/core';
import { absColumnSums, storageOf, wrapFlat } from '@difftape/core/kernels';
import type { ParamRole } from './layer.js';
import { own, ownedStorage } from './optim/owned.js';

/**
 * A penalty on one parameter leaf, with a subgradient; applied leaf by leaf. `role` says what the
 * leaf is in its layer (a weight matrix or a bias), for penalties that treat the two apart.
 */
export interface Regulariser {
  readonly name: string;
  /** R(leaf), the penalty of one parameter matrix. */
  readonly value: (leaf: Matrix, role: ParamRole) => number;
  /** A subgradient ∂R(leaf), shaped like the leaf. */
  readonly subgradient: (leaf: Matrix, role: ParamRole) => Matrix;
  /** Optional fast path for g + λ·subgradient(leaf), into a fresh matrix, in one pass. */
  readonly addScaled?: (g: Matrix, leaf: Matrix, lambda: number, role: ParamRole) => Matrix;
}

/** Σ |x|, subgradient sign(x) with sign(0) = 0. */
export const l1: Regulariser = {
  name: 'l1',
  value: (leaf) => scalar(sum(abs(leaf))),
  subgradient: (leaf) => sign(leaf),
};

/** ½ Σ x², gradient x (so λ·l2 is weight decay λ). */
export const l2: Regulariser = {
  name: 'l2',
  value: (leaf) => scalar(sum(square(leaf))) / 2,
  subgradient: (leaf) => leaf.clone(),
};

/** Column sums of |W| (row by row, in order) and the first column where the largest is reached. */
const maxAbsColumn = (w: Matrix): { column: number; value: number } => {
  const n = w.columns;
  const sums = absColumnSums(w);
  let column = 0;
  for (let j = 1; j < n; j++) if (sums[j]! > sums[column]!) column = j;
  return { column, value: n ? sums[column]! : 0 };
};

/**
 * The report's L1 regulariser (section 1.7): for a weight W (in × out), R(W) = maxⱼ Σᵢ |W[i,j]| (the
 * induced 1-norm), with subgradient zero except column j* = argmax (first on ties), which holds
 * sign(W[:, j*]). A bias is a vector: R = Σ|b|, subgradient sign(b). sign(0) = 0 throughout. The
 * role decides, not the shape: a one-input layer's 1 × n W is still a weight.
 */
export const l1MaxColumn: Regulariser = {
  name: 'l1MaxColumn',
  value: (leaf, role) => (role === 'bias' ? l1.value(leaf, role) : maxAbsColumn(leaf).value),
  subgradient: (leaf, role) =>
    l1MaxColumnAddScaled(filled(leaf.rows, leaf.columns, 0), leaf, 1, role),
  addScaled: (g, leaf, lambda, role) => l1MaxColumnAddScaled(g, leaf, lambda, role),
};

/**
 * g + λ·∂R(leaf) for the max-column L1: λ·sign(W[:, j*]) added to one column of a copy of g, or of g
 * itself when an optimiser chain owns it (optim/owned.ts).
 */
function l1MaxColumnAddScaled(g: Matrix, leaf: Matrix, lambda: number, role: ParamRole): Matrix {
  if (g.rows !== leaf.rows || g.columns !== leaf.columns) {
    throw new RangeError(
      `l1MaxColumn: gradient is ${shapeString(g)} but the parameter is ${shapeString(leaf)}`,
    );
  }
  const n = leaf.columns;
  const owned = ownedStorage(g);
  const out = owned ?? storageOf(g).slice();
  const ws = storageOf(leaf);
  if (role === 'bias') {
    for (let at = 0; at < ws.length; at++) out[at]! += lambda * (Math.sign(ws[at]!) || 0);
  } else {
    const { column } = maxAbsColumn(leaf);
    for (let at = column; at < ws.length; at += n) out[at]! += lambda * (Math.sign(ws[at]!) || 0);
  }
  return owned ? g : own(wrapFlat(leaf.rows, n, out));
}
