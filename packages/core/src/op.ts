import { Matrix } from './matrix.js';
import { bind, type Input, type Primitive, type Tensor, Traced } from './tape.js';

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

/** A differentiable op: call it on matrices, traced values or numbers, inside or outside `grad`. */
export type Op<A extends readonly Input[]> = ((...args: A) => Tensor) & { readonly opName: string };

const describe = (x: unknown): string =>
  x === null
    ? 'null'
    : Array.isArray(x)
      ? 'an array'
      : typeof x === 'object'
        ? (x.constructor?.name ?? 'an object')
        : typeof x;

/** Defines a differentiable op, primitives and users' own ops alike. */
export const defineOp = <A extends readonly Input[]>(spec: OpSpec<A>): Op<A> => {
  const arity = spec.vjp.length;
  const prim: Primitive = {
    name: spec.name,
    forward: spec.forward as Primitive['forward'],
    vjps: spec.vjp as unknown as Primitive['vjps'],
  };
  const op = (...args: A): Tensor => {
    if (args.length !== arity)
      throw new TypeError(`${spec.name}: expected ${arity} inputs, got ${args.length}`);
    for (let j = 0; j < arity; j++) {
      const x = args[j];
      if (!(typeof x === 'number' || x instanceof Matrix || x instanceof Traced)) {
        throw new TypeError(
          `${spec.name}: input ${j} must be a Matrix, a traced value or a number, got ${describe(x)}`,
        );
      }
    }
    return bind(prim, args);
  };
  return Object.assign(op, { opName: spec.name });
};
