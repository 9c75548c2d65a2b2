import { describeValue } from './describe.js';
import type { Matrix } from './matrix.js';
import { bind, type Input, isTensor, type Primitive, type Tensor } from './tape.js';

/** The raw counterpart of each input type: what `forward` receives once every tape is peeled off. */
export type RawOf<A extends readonly Input[]> = {
  [K in keyof A]: A[K] extends number ? number : A[K] extends Tensor ? Matrix : Matrix | number;
};

/** The VJP of one input: its cotangent from the output cotangent `g`, the output and the inputs. */
export type Vjp<A extends readonly Input[]> = (g: Tensor, out: Tensor, ...args: A) => Tensor;

/** A differentiable op: its forward computation and, beside it, the VJP of each input. */
export interface OpSpec<A extends readonly Input[]> {
  /** Names the op in shape errors and in `checkFinite` reports. */
  readonly name: string;
  /** Computes the output from raw matrices and numbers; checks shapes; returns a fresh matrix. */
  readonly forward: (...args: RawOf<A>) => Matrix;
  /**
   * One VJP per input, in input order; null where the cotangent is always zero. Write them with
   * differentiable ops so that gradients of gradients work.
   */
  readonly vjp: { readonly [K in keyof A]: Vjp<A> | null };
}

/**
 * A differentiable op: call it on matrices, traced values or numbers, inside or outside `grad`.
 * On raw inputs only (matrices and numbers) nothing is traced, so the result is a plain `Matrix`;
 * with any traced input it is a `Tensor`.
 */
export interface Op<A extends readonly Input[]> {
  (...args: RawOf<A>): Matrix;
  (...args: A): Tensor;
  readonly opName: string;
}

/** Throws unless `args` are `arity` matrices, traced values or numbers, naming the op and the input. */
function checkInputs(
  op: string,
  arity: number,
  args: readonly unknown[],
): asserts args is readonly Input[] {
  if (args.length !== arity)
    throw new TypeError(`${op}: expected ${arity} inputs, got ${args.length}`);
  for (let j = 0; j < arity; j++) {
    const x = args[j];
    if (!(typeof x === 'number' || isTensor(x))) {
      throw new TypeError(
        `${op}: input ${j} must be a Matrix, a traced value or a number, got ${describeValue(x)}`,
      );
    }
  }
}

/** Defines a differentiable op, primitives and users' own ops alike. */
export const defineOp = <A extends readonly Input[]>(spec: OpSpec<A>): Op<A> => {
  const arity = spec.vjp.length;
  // The tape stores ops of every arity alike: their typed inputs are forgotten here; checkInputs
  // restores them at each call.
  const prim: Primitive = {
    name: spec.name,
    forward: spec.forward as Primitive['forward'],
    vjps: spec.vjp as unknown as Primitive['vjps'],
  };
  // Raw inputs only: nothing is traced, so `bind` returns the forward's plain Matrix.
  function op(...args: RawOf<A>): Matrix;
  function op(...args: A): Tensor;
  function op(...args: readonly unknown[]): Tensor {
    checkInputs(spec.name, arity, args);
    return bind(prim, args);
  }
  return Object.assign(op, { opName: spec.name });
};
