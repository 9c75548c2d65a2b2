import { describeValue } from './describe.js';
import { filled, type Matrix, shapeString } from './matrix.js';
import { add, mul } from './primitives/arithmetic.js';
import { sumAll } from './primitives/broadcast.js';
import { backward, isTensor, rawOf, type Tensor, Traced, withTape } from './tape.js';
import { type Tree, treeFlatten, treeUnflatten } from './tree.js';

/** Options of `grad`, `valueAndGrad` and `vjp`. */
export interface GradOptions {
  /** Throw a `NonFiniteError` naming the first op (and tape index) to make a NaN or ±Infinity. */
  readonly checkFinite?: boolean;
}

/** The parameters' structure (tuples stay tuples) with a `Matrix` at every leaf: what gradients look like. */
export type Grads<P> = [Tree<Matrix>] extends [P]
  ? Tree<Matrix> // P is a whole tree type (e.g. `Tree<Tensor>`): spelled out it would never end
  : P extends Tensor
    ? Matrix
    : P extends object // mapped over a tuple, a mapped type is a tuple again
      ? { -readonly [K in keyof P]: Grads<P[K]> }
      : never;

/**
 * The parameters' structure with a `Tensor` at every leaf: what a function receives inside `grad`,
 * where the leaves are traced. `Traceable<{ W: Matrix }>` is `{ W: Tensor }`.
 */
export type Traceable<P> = [Tree<Matrix>] extends [P]
  ? Tree<Tensor> // P is a whole tree type (e.g. `Params`): spelled out it would never end
  : P extends Tensor
    ? Tensor
    : P extends object
      ? { [K in keyof P]: Traceable<P[K]> }
      : P;

/**
 * Runs f on the parameters traced by a fresh tape; returns the output and a pullback to a tree of
 * params' structure (typed `Grads<P>` by the callers that hand it out).
 */
const trace = <P extends Tree<Tensor>>(
  op: string,
  f: (params: P) => Tensor,
  params: P,
  options: GradOptions,
) => {
  const { paths, leaves } = treeFlatten<Tensor>(params);
  leaves.forEach((leaf, i) => {
    if (!isTensor(leaf)) {
      throw new TypeError(
        `${op}: parameter '${paths[i] || '(root)'}' must be a Matrix, got ${describeValue(leaf)}`,
      );
    }
  });
  return withTape(options.checkFinite === true, (tape) => {
    const traced = leaves.map((leaf) => tape.leaf(leaf));
    // params rebuilt with traced leaves: a P to f, which only reads it through differentiable ops.
    const out = f(treeUnflatten(params, traced) as P);
    if (!isTensor(out)) {
      throw new TypeError(
        `${op}: the function must return a Matrix or a traced value, got ${describeValue(out)}`,
      );
    }
    const onTape = out instanceof Traced && out.tape === tape;
    const pullback = (ct: Tensor): Tree<Tensor> => {
      if (ct.rows !== out.rows || ct.columns !== out.columns) {
        throw new RangeError(
          `${op}: the cotangent is ${shapeString(ct)} but the output is ${shapeString(out)}`,
        );
      }
      const cts = onTape ? backward(tape, out.index, ct, add) : [];
      const grads = traced.map(
        (t, i) => cts[t.index] ?? filled(leaves[i]!.rows, leaves[i]!.columns, 0),
      );
      return treeUnflatten(params, grads);
    };
    // treeUnflatten keeps params' structure and the leaves are matrices (traced only inside an
    // enclosing grad, where they read as matrices to ops): that is what Grads<P> says.
    const typed = pullback as (ct: Tensor) => Grads<P>;
    return { out: onTape ? out.value : out, pullback, typed };
  });
};

/** `[f(params), pullback]`: the pullback maps an output cotangent to the parameters' cotangents. */
export const vjp = <P extends Tree<Tensor>>(
  f: (params: P) => Tensor,
  params: P,
  options: GradOptions = {},
): [Tensor, (cotangent: Tensor) => Grads<P>] => {
  const { out, typed } = trace('vjp', f, params, options);
  return [out, typed];
};

/** vjp with the pullback's result as a plain tree: for the derivatives built on top of it here. */
export const vjpTree = <P extends Tree<Tensor>>(
  f: (params: P) => Tensor,
  params: P,
  options: GradOptions = {},
): [Tensor, (cotangent: Tensor) => Tree<Tensor>] => {
  const { out, pullback } = trace('vjp', f, params, options);
  return [out, pullback];
};

const scalarOutput = (op: string, out: Tensor): void => {
  if (out.rows !== 1 || out.columns !== 1) {
    throw new RangeError(
      `${op}: the function must return a 1x1 result, got ${shapeString(out)} (use vjp for other shapes)`,
    );
  }
};

/** `params => [f(params), ∇f(params)]` for f returning a 1 × 1 result. */
export const valueAndGrad =
  <P extends Tree<Tensor>>(f: (params: P) => Tensor, options: GradOptions = {}) =>
  (params: P): [number, Grads<P>] => {
    const { out, typed } = trace('valueAndGrad', f, params, options);
    scalarOutput('valueAndGrad', out);
    return [rawOf(out).get(0, 0), typed(filled(1, 1, 1))];
  };

/** `params => ∇f(params)` for f returning a 1 × 1 result. Composable: `grad(p => sum(grad(f)(p)))`. */
export const grad =
  <P extends Tree<Tensor>>(f: (params: P) => Tensor, options: GradOptions = {}) =>
  (params: P): Grads<P> => {
    const { out, typed } = trace('grad', f, params, options);
    scalarOutput('grad', out);
    return typed(filled(1, 1, 1));
  };

/** grad with the result as a plain tree, for hvp. */
const gradTree =
  <P extends Tree<Tensor>>(f: (params: P) => Tensor, options: GradOptions) =>
  (params: P): Tree<Tensor> => {
    const { out, pullback } = trace('grad', f, params, options);
    scalarOutput('grad', out);
    return pullback(filled(1, 1, 1));
  };

/** Σ over leaves of ⟨a, b⟩, differentiable. */
export const treeDot = (a: Tree<Tensor>, b: Tree<Tensor>): Tensor => {
  const xs = treeFlatten(a).leaves;
  const ys = treeFlatten(b).leaves;
  if (xs.length !== ys.length)
    throw new RangeError(`treeDot: ${xs.length} leaves against ${ys.length}`);
  return xs
    .map((x, i) => sumAll(mul(x, ys[i]!)))
    .reduce((s, t) => add(s, t), filled(1, 1, 0) as Tensor);
};

/** Hessian-vector product `(params, v) => ∇²f(params)·v`, by differentiating ⟨∇f, v⟩. */
export const hvp =
  <P extends Tree<Tensor>>(f: (params: P) => Tensor, options: GradOptions = {}) =>
  (params: P, v: Grads<P>): Grads<P> =>
    // v is shaped like params with matrix leaves (Grads<P>): a tree of tensors, whatever P is.
    grad((p: P) => treeDot(gradTree(f, options)(p), v as Tree<Tensor>), options)(params);

/**
 * `[f(params), J·tangents]`: the forward-mode derivative along `tangents` (same structure as
 * params). The pullback is linear in its cotangent v, so J·u is the gradient of ⟨pullback(v), u⟩
 * with respect to v (the "double-VJP" trick): no separate forward-mode rules are needed.
 */
export const jvp = <P extends Tree<Tensor>>(
  f: (params: P) => Tensor,
  params: P,
  tangents: Grads<P>,
  options: GradOptions = {},
): [Tensor, Matrix] => {
  const [out, pullback] = vjpTree(f, params, options);
  // tangents are shaped like params with matrix leaves (Grads<P>): a tree of tensors.
  const u = tangents as Tree<Tensor>;
  const tangentOut = grad((v: Tensor) => treeDot(pullback(v), u))(filled(out.rows, out.columns, 0));
  return [out, tangentOut];
};
