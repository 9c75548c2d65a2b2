import type { Key, Matrix, Tensor, Tree } from '@difftape/core';

/** Parameters at rest: a tree of matrices. Inside `grad` the same tree holds traced values. */
export type Params = Tree<Matrix>;

/**
 * A layer is a value: `init` makes its parameters for an input width and says its output width;
 * `apply` is a pure function of parameters and a batch (rows are samples). Models are layers too.
 */
export interface Layer {
  /** Names the layer in errors, e.g. `Dense(100)`. */
  readonly name: string;
  /** Fresh parameters for inputs of `inputCols` columns, drawn from `key`, and the output width. */
  readonly init: (key: Key, inputCols: number) => [params: Params, outputCols: number];
  /** The output for a batch `x` (one sample a row); pure, and differentiable in `params`. */
  readonly apply: (params: Tree<Tensor>, x: Tensor) => Tensor;
  /** A combinator's layers in order (`Serial` sets it), so that `summary` can list them. */
  readonly layers?: readonly Layer[];
}

/** Throws unless n is a positive integer; names the layer. */
export const checkWidth = (layer: string, what: string, n: number): void => {
  if (!(Number.isInteger(n) && n > 0))
    throw new RangeError(`${layer}: ${what} must be a positive integer, got ${n}`);
};
