import * as k from '../kernels.js';
import * as mm from '../matmul.js';
import { type Matrix, shapeString } from '../matrix.js';
import { defineOp, type Op } from '../op.js';
import type { Tensor } from '../tape.js';

const cannot = (op: string, a: Matrix, b: string): RangeError =>
  new RangeError(`${op}: cannot multiply ${shapeString(a)} by ${b}`);

/** a · b. */
export const matmul: Op<[a: Tensor, b: Tensor]> = defineOp<[a: Tensor, b: Tensor]>({
  name: 'matmul',
  forward: (a, b) => {
    if (a.columns !== b.rows) throw cannot('matmul', a, shapeString(b));
    return mm.matmulNN(a, b);
  },
  // d(ab) = da·b + a·db  ⇒  ā = ḡ·bᵀ, b̄ = aᵀ·ḡ
  vjp: [(g, _out, _a, b) => matmulNT(g, b), (g, _out, a) => matmulTN(a, g)],
});

/** a · bᵀ, without forming bᵀ. */
export const matmulNT: Op<[a: Tensor, b: Tensor]> = defineOp<[a: Tensor, b: Tensor]>({
  name: 'matmulNT',
  forward: (a, b) => {
    if (a.columns !== b.columns) throw cannot('matmulNT', a, `(${shapeString(b)})ᵀ`);
    return mm.matmulNT(a, b);
  },
  // c = a·bᵀ  ⇒  ā = ḡ·b, b̄ = ḡᵀ·a
  vjp: [(g, _out, _a, b) => matmul(g, b), (g, _out, a) => matmulTN(g, a)],
});

/** aᵀ · b, without forming aᵀ. */
export const matmulTN: Op<[a: Tensor, b: Tensor]> = defineOp<[a: Tensor, b: Tensor]>({
  name: 'matmulTN',
  forward: (a, b) => {
    if (a.rows !== b.rows)
      throw new RangeError(`matmulTN: cannot multiply (${shapeString(a)})ᵀ by ${shapeString(b)}`);
    return mm.matmulTN(a, b);
  },
  // c = aᵀ·b  ⇒  ā = b·ḡᵀ, b̄ = a·ḡ
  vjp: [(g, _out, _a, b) => matmulNT(b, g), (g, _out, a) => matmul(a, g)],
});

/** xᵀ. */
export const transpose: Op<[x: Tensor]> = defineOp<[x: Tensor]>({
  name: 'transpose',
  forward: k.transpose,
  // d xᵀ = (dx)ᵀ
  vjp: [(g) => transpose(g)],
});
