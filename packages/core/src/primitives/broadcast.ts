import * as k from '../kernels.js';
import { type Operand, rows, zip } from '../kernels.js';
import { shapeString } from '../matrix.js';
import { defineOp, type Op } from '../op.js';
import type { Tensor } from '../tape.js';

/**
 * Broadcasting and the sums, together: the VJP of each sum is a broadcast, and the VJP of a
 * broadcast is a sum (`unbroadcast`), so they live in one module.
 */

/** `g` repeated to the shape of `like` (g is 1 × 1, 1 × n or m × 1); the VJP of the sums. */
export const broadcastAs: Op<[g: Tensor, like: Tensor]> = defineOp<[g: Tensor, like: Tensor]>({
  name: 'broadcastAs',
  forward: (g, like) => {
    if ((g.rows !== 1 && g.rows !== like.rows) || (g.columns !== 1 && g.columns !== like.columns)) {
      throw new RangeError(
        `broadcastAs: cannot broadcast ${shapeString(g)} to ${shapeString(like)}`,
      );
    }
    return zip('broadcastAs', g, like as Operand, rows.first);
  },
  // the values of `like` do not matter, only its shape
  vjp: [(g, _out, x) => unbroadcast(g, x), null],
});

/** Sums a cotangent over the axes along which `like` was broadcast, so it takes `like`'s shape. */
export const unbroadcast = (g: Tensor, like: Tensor | number): Tensor => {
  if (typeof like === 'number') throw new TypeError('unbroadcast: a number input has no cotangent');
  let ct = g;
  if (like.rows === 1 && ct.rows !== 1) ct = sumRows(ct);
  if (like.columns === 1 && ct.columns !== 1) ct = sumCols(ct);
  return ct;
};

/** Σ of every entry → 1 × 1. */
export const sumAll: Op<[x: Tensor]> = defineOp<[x: Tensor]>({
  name: 'sumAll',
  forward: k.sumAll,
  // d Σx = Σ dx: every entry gets the cotangent
  vjp: [(g, _out, x) => broadcastAs(g, x)],
});

/** Σ over rows: m × n → 1 × n. */
export const sumRows: Op<[x: Tensor]> = defineOp<[x: Tensor]>({
  name: 'sumRows',
  forward: k.sumRows,
  vjp: [(g, _out, x) => broadcastAs(g, x)],
});

/** Σ over columns: m × n → m × 1. */
export const sumCols: Op<[x: Tensor]> = defineOp<[x: Tensor]>({
  name: 'sumCols',
  forward: k.sumCols,
  vjp: [(g, _out, x) => broadcastAs(g, x)],
});
