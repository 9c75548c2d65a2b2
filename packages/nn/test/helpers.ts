import { Matrix } from '@difftape/core';
import { applyUpdates, type GradientTransformation, type Params } from '../src/index.js';

/** A rows × cols matrix from row-major values (tests only). */
export const M = (rows: number, cols: number, values: number[]): Matrix =>
  Matrix.from1DArray(rows, cols, values);

/** The parameters after applying `opt`'s updates for each gradient in turn, from `params`. */
export const runSteps = <S, P extends Params>(
  opt: GradientTransformation<S>,
  params: P,
  grads: readonly Params[],
): P => {
  let p = params;
  let state = opt.init(p);
  for (const g of grads) {
    const [u, s] = opt.update(g, state, p);
    p = applyUpdates(p, u);
    state = s;
  }
  return p;
};
