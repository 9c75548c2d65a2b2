import { rows, zip } from '../kernels.js';
import { defineOp, type Op } from '../op.js';
import type { Tensor } from '../tape.js';
import { unbroadcast } from './broadcast.js';

/** The broadcasting binary ops take equal shapes, a 1 × n row, an m × 1 column, or a number. */
type Binary = [a: Tensor | number, b: Tensor | number];

/** a + b. */
export const add: Op<Binary> = defineOp<Binary>({
  name: 'add',
  forward: (a, b) => zip('add', a, b, rows.add),
  // d(a + b) = da + db
  vjp: [(g, _out, a) => unbroadcast(g, a), (g, _out, _a, b) => unbroadcast(g, b)],
});

/** a − b. */
export const sub: Op<Binary> = defineOp<Binary>({
  name: 'sub',
  forward: (a, b) => zip('sub', a, b, rows.sub),
  // d(a − b) = da − db
  vjp: [(g, _out, a) => unbroadcast(g, a), (g, _out, _a, b) => unbroadcast(neg(g), b)],
});

/** a ⊙ b, elementwise. */
export const mul: Op<Binary> = defineOp<Binary>({
  name: 'mul',
  forward: (a, b) => zip('mul', a, b, rows.mul),
  // d(a·b) = b·da + a·db
  vjp: [(g, _out, a, b) => unbroadcast(mul(g, b), a), (g, _out, a, b) => unbroadcast(mul(g, a), b)],
});

/** a / b, elementwise. */
export const div: Op<Binary> = defineOp<Binary>({
  name: 'div',
  forward: (a, b) => zip('div', a, b, rows.div),
  // d(a/b) = da/b − (a/b)·db/b
  vjp: [
    (g, _out, a, b) => unbroadcast(div(g, b), a),
    (g, out, _a, b) => unbroadcast(neg(div(mul(g, out), b)), b),
  ],
});

/** −x. */
export const neg: Op<[x: Tensor]> = defineOp<[x: Tensor]>({
  name: 'neg',
  forward: (x) => zip('neg', x, -1, rows.mul),
  // d(−x) = −dx
  vjp: [(g) => neg(g)],
});
