import type { Key, Matrix, Tensor, Traceable, Tree } from '@difftape/core';

/** Parameters at rest: a tree of matrices. Inside `grad` the same tree holds traced values. */
export type Params = Tree<Matrix>;

/** The parameters of a parameter-free layer (an activation). */
export type NoParams = Record<string, never>;

/**
 * A layer is a value: `init` makes its parameters for an input width and says its output width;
 * `apply` is a pure function of parameters and a batch (rows are samples). Models are layers too.
 * `P` is the parameters' type at rest, with matrices at the leaves.
 */
export interface Layer<P extends Params = Params> {
  /** Names the layer in errors, e.g. `Dense(100)`. */
  readonly name: string;
  /** Fresh parameters for inputs of `inputCols` columns, drawn from `key`, and the output width. */
  readonly init: (key: Key, inputCols: number) => [params: P, outputCols: number];
  /**
   * The output for a batch `x` (one sample a row); pure, and differentiable in `params`. Runs on the
   * parameters at rest (`P`) or traced by `grad` (`Traceable<P>`).
   */
  readonly apply: (params: P | Traceable<P>, x: Tensor) => Tensor;
  /** A combinator's layers in order (`Serial` sets it), so that `summary` can list them. */
  readonly layers?: readonly AnyLayer[];
}

/**
 * A layer of any parameter type, for lists of mixed layers (`Serial`'s, `modelFromSpec`'s). `any`
 * because `Layer<P>` is invariant in P: `Layer<{ W, b }>` is no `Layer<Params>`, yet both are layers.
 */
// biome-ignore lint/suspicious/noExplicitAny: see above; only ever a constraint or a list element
export type AnyLayer = Layer<any>;

/** The parameter type of a layer: `ParamsOf<Layer<P>>` is `P`. */
export type ParamsOf<L> = L extends Layer<infer P> ? P : never;

/** What a parameter leaf is in its layer: a weight matrix, or a bias added to every row. */
export type ParamRole = 'weight' | 'bias';

/**
 * A leaf's role from its path: layers name their bias `b` (`{ W, b }`), so a leaf whose last key is
 * `b` is a bias and any other a weight. `0.b` → bias, `2.W` → weight.
 */
export const paramRole = (path: string): ParamRole =>
  path === 'b' || path.endsWith('.b') ? 'bias' : 'weight';

/** Throws unless n is a positive integer; names the layer. */
export const checkWidth = (layer: string, what: string, n: number): void => {
  if (!(Number.isInteger(n) && n > 0))
    throw new RangeError(`${layer}: ${what} must be a positive integer, got ${n}`);
};
