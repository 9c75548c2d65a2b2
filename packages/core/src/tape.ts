import { checkBackward, checkForward } from './finite.js';
import { Matrix, shapeString } from './matrix.js';

/**
 * The tape: where differentiable ops record themselves while `grad` runs, and the backward walk.
 *
 * A value traced by a tape wraps the value underneath it, which is a plain matrix or a value traced
 * by an outer tape (nested `grad`). An op applied to traced values records itself on the innermost
 * live tape among its inputs and runs again one level down, so every outer tape records it too,
 * while values of outer tapes stay constants to the inner one (no perturbation confusion).
 */

/** A value recorded on a tape. `value` is the matrix (or outer-traced value) it stands for. */
export class Traced {
  readonly rows: number;
  readonly columns: number;
  constructor(
    readonly value: Tensor,
    readonly tape: Tape,
    readonly index: number,
  ) {
    this.rows = value.rows;
    this.columns = value.columns;
  }
}

/** What differentiable ops take and return: a plain matrix or a traced one. */
export type Tensor = Matrix | Traced;

/** Whether x is a tensor (a matrix, traced or not): the one test of it, for inputs from outside. */
export const isTensor = (x: unknown): x is Tensor => x instanceof Matrix || x instanceof Traced;

/** An op input: a tensor, or a number that broadcasts like a 1 × 1 matrix. */
export type Input = Tensor | number;

/** The VJP of one input: its cotangent given the output's cotangent `g`, written with differentiable ops. */
type InputVjp = (g: Tensor) => Tensor;

interface Node {
  readonly op: string;
  readonly rows: number;
  readonly columns: number;
  /** The tape index of each input, or −1 for a constant. */
  readonly inputs: readonly number[];
  /** The VJP of input j, or null when its cotangent is always zero. Null for leaves. */
  readonly vjp: ((j: number) => InputVjp | null) | null;
}

/** One recording: a list of nodes in creation order, which is a topological order. */
export class Tape {
  readonly nodes: Node[] = [];
  /** False once the `grad` call that owns the tape has returned: its values are constants then. */
  active = true;
  constructor(
    readonly level: number,
    readonly checkFinite: boolean,
  ) {}

  /** Records a parameter (a leaf with no inputs) and returns it traced. */
  leaf(value: Tensor): Traced {
    this.nodes.push({
      op: 'leaf',
      rows: value.rows,
      columns: value.columns,
      inputs: [],
      vjp: null,
    });
    return new Traced(value, this, this.nodes.length - 1);
  }
}

/** The matrix under every tape, or a number unchanged. */
export const rawOf = <T extends Input>(x: T): T extends number ? number : Matrix => {
  let v: Input = x;
  while (v instanceof Traced) v = v.value;
  return v as T extends number ? number : Matrix;
};

let depth = 0;

/** Runs `f` with a fresh tape one level inside the current one; the tape is dead once `f` returns. */
export const withTape = <R>(checkFinite: boolean, f: (tape: Tape) => R): R => {
  const tape = new Tape(++depth, checkFinite);
  try {
    return f(tape);
  } finally {
    depth--;
    tape.active = false;
  }
};

/** A primitive as `bind` runs it: forward on raw values, and per-input VJPs on (possibly traced) values. */
export interface Primitive {
  readonly name: string;
  readonly forward: (...args: (Matrix | number)[]) => Matrix;
  readonly vjps: readonly (((g: Tensor, out: Tensor, ...args: Input[]) => Tensor) | null)[];
}

const innermostTape = (inputs: readonly Input[]): Tape | undefined => {
  let tape: Tape | undefined;
  for (const x of inputs) {
    let v: Input = x;
    while (v instanceof Traced && !v.tape.active) v = v.value;
    if (v instanceof Traced && (tape === undefined || v.tape.level > tape.level)) tape = v.tape;
  }
  return tape;
};

/** Applies a primitive: plain computation when no input is traced, else recorded on the innermost tape. */
export const bind = (prim: Primitive, inputs: readonly Input[]): Tensor => {
  const tape = innermostTape(inputs);
  if (tape === undefined) return prim.forward(...inputs.map(rawOf));
  const lowered = inputs.map((x) => (x instanceof Traced && x.tape === tape ? x.value : x));
  const out = bind(prim, lowered);
  const index = tape.nodes.length;
  if (tape.checkFinite) checkForward(prim.name, index, rawOf(out));
  tape.nodes.push({
    op: prim.name,
    rows: out.rows,
    columns: out.columns,
    inputs: inputs.map((x) => (x instanceof Traced && x.tape === tape ? x.index : -1)),
    vjp: (j) => {
      const vjp = prim.vjps[j];
      return vjp ? (g) => vjp(g, out, ...lowered) : null;
    },
  });
  return new Traced(out, tape, index);
};

/**
 * Walks the tape backwards from `outIndex` with cotangent `seed`, adding cotangents at fan-out with
 * `accumulate`. Iterative, so a chain of any length is fine. Returns the cotangent of every node
 * reached (undefined for the others); callers read the leaves'.
 */
export const backward = (
  tape: Tape,
  outIndex: number,
  seed: Tensor,
  accumulate: (a: Tensor, b: Tensor) => Tensor,
): (Tensor | undefined)[] => {
  const cts: (Tensor | undefined)[] = new Array(outIndex + 1);
  cts[outIndex] = seed;
  for (let i = outIndex; i >= 0; i--) {
    const g = cts[i];
    const node = tape.nodes[i]!;
    if (g === undefined || node.vjp === null) continue;
    cts[i] = undefined; // an inner node's cotangent is spent: let it be collected
    node.inputs.forEach((k, j) => {
      if (k < 0) return;
      const vjp = node.vjp!(j);
      if (vjp === null) return;
      const ct = vjp(g);
      const target = tape.nodes[k]!;
      checkCotangent(node.op, i, j, ct, target);
      if (tape.checkFinite) checkBackward(node.op, i, j, rawOf(ct));
      const prev = cts[k];
      cts[k] = prev === undefined ? ct : accumulate(prev, ct);
    });
  }
  return cts;
};

/** Catches a wrong VJP (a user's `defineOp` included) where it happens, not three ops later. */
const checkCotangent = (op: string, i: number, j: number, ct: Tensor, input: Node): void => {
  if (!isTensor(ct)) {
    throw new TypeError(
      `backward: the VJP of '${op}' (tape index ${i}) for input ${j} returned ${typeof ct}, not a matrix`,
    );
  }
  if (input.rows !== ct.rows || input.columns !== ct.columns) {
    throw new RangeError(
      `backward: the VJP of '${op}' (tape index ${i}) for input ${j} returned ${shapeString(ct)}, but the input is ${shapeString(input)}`,
    );
  }
};
