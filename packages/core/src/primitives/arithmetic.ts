import { type Operand, rows, zip } from '../kernels.js';
import { defineOp, type Op } from '../op.js';
import type { Tensor } from '../tape.js';
import { sumCols, sumRows } from './reduce.js';

/** The broadcasting binary ops take equal shapes, a 1 × n row, an m × 1 column, or a number. */
type Binary = [Tensor | number, Tensor | number];

/** Sums a cotangent over the axes along which `like` was broadcast, so it takes `like`'s shape. */
export const unbroadcast = (g: Tensor, like: Tensor | number): Tensor => {
  if (typeof like === 'number') throw new TypeError('unbroadcast: a number input has no cotangent');
  let ct = g;
  if (like.rows === 1 && ct.rows !== 1) ct = sumRows(ct);
  if (like.columns === 1 && ct.columns !== 1) ct = sumCols(ct);
  return ct;
};

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
export const neg: Op<[Tensor]> = defineOp<[Tensor]>({
  name: 'neg',
  forward: (x) => zip('neg', x, -1, rows.mul),
  // d(−x) = −dx
  vjp: [(g) => neg(g)],
});

/** `g` repeated to the shape of `like` (g is 1 × 1, 1 × n or m × 1); the VJP of the sums. */
export const broadcastAs: Op<[Tensor, Tensor]> = defineOp<[Tensor, Tensor]>({
  name: 'broadcastAs',
  forward: (g, like) => {
    if ((g.rows !== 1 && g.rows !== like.rows) || (g.columns !== 1 && g.columns !== like.columns)) {
      throw new RangeError(
        `broadcastAs: cannot broadcast ${g.rows}x${g.columns} to ${like.rows}x${like.columns}`,
      );
    }
    return zip('broadcastAs', g, like as Operand, rows.first);
  },
  // the values of `like` do not matter, only its shape
  vjp: [(g, _out, x) => unbroadcast(g, x), null],
});
