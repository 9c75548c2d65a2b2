import * as k from '../kernels.js';
import { defineOp, type Op } from '../op.js';
import type { Tensor } from '../tape.js';
import { broadcastAs } from './arithmetic.js';

/** Σ of every entry → 1 × 1. */
export const sumAll: Op<[Tensor]> = defineOp<[Tensor]>({
  name: 'sumAll',
  forward: k.sumAll,
  // d Σx = Σ dx: every entry gets the cotangent
  vjp: [(g, _out, x) => broadcastAs(g, x)],
});

/** Σ over rows: m × n → 1 × n. */
export const sumRows: Op<[Tensor]> = defineOp<[Tensor]>({
  name: 'sumRows',
  forward: k.sumRows,
  vjp: [(g, _out, x) => broadcastAs(g, x)],
});

/** Σ over columns: m × n → m × 1. */
export const sumCols: Op<[Tensor]> = defineOp<[Tensor]>({
  name: 'sumCols',
  forward: k.sumCols,
  vjp: [(g, _out, x) => broadcastAs(g, x)],
});
