import { type Key, key, type Matrix, type Tensor, type Traceable, type Tree } from '@difftape/core';
import { checkNumber, positiveInteger } from './numbers.js';
import type { Shape } from './shape.js';

/** Parameters at rest: a tree of matrices. Inside `grad` the same tree holds traced values. */
export type Params = Tree<Matrix>;

/** The parameters of a parameter-free layer (an activation). */
export type NoParams = Record<string, never>;

/** What `apply` is told besides the parameters and the batch. */
export interface ApplyContext {
  /** A PRNG key for this call, fresh per training step; a layer that draws (Dropout) uses it. */
  readonly key?: Key;
  /** Training (Dropout drops) or evaluation (the default: Dropout is the identity). */
  readonly train?: boolean;
  /** The shape of one sample of `x` (a batch is only a matrix); default `[x.columns]`. */
  readonly shape?: Shape;
}

/**
 * A layer is a value: `init` makes its parameters for the shape of one input sample and says the
 * output's shape (stax's shape); `apply` is a pure function of parameters and a batch (one sample
 * a row). Models are layers too. `P` is the parameters' type at rest, with matrices at the leaves.
 */
export interface Layer<P extends Params = Params> {
  /** Names the layer in errors, e.g. `Dense(100)`. */
  readonly name: string;
  /** Fresh parameters for samples of `inputShape` (`[784]`, `[1, 28, 28]`), drawn from `key`, and the output shape. */
  readonly init: (key: Key, inputShape: Shape) => [params: P, outputShape: Shape];
  /**
   * The output for a batch `x` (one sample a row); pure, and differentiable in `params`. Runs on the
   * parameters at rest (`P`) or traced by `grad` (`Traceable<P>`).
   */
  readonly apply: (params: P | Traceable<P>, x: Tensor, context?: ApplyContext) => Tensor;
  /**
   * The output shape for an input shape, checked, without making parameters: `Serial` tells each
   * layer its input's shape with it. Without it, a layer's output is taken to be a vector.
   */
  readonly outputShape?: (inputShape: Shape) => Shape;
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

/** Throws unless n is a positive integer; names the layer and the setting. */
export const checkWidth = (layer: string, what: string, n: number): void => {
  checkNumber(`${layer}: ${what}`, n, positiveInteger);
};

/** A layer's output shape for `inputShape`: its `outputShape`, else what `init` says. */
export const outputShapeOf = (layer: AnyLayer, inputShape: Shape): Shape =>
  layer.outputShape ? layer.outputShape(inputShape) : layer.init(key(0), inputShape)[1];

/** The shape of the samples of `x` that `context` gives, else `[x.columns]`. */
export const contextShape = (x: Tensor, context?: ApplyContext): Shape =>
  context?.shape ?? [x.columns];
