import { type RowKernel, rows, zip } from '../kernels.js';
import { alloc, rowsOf, shapeString } from '../matrix.js';
import { defineOp, type Op } from '../op.js';
import type { Tensor } from '../tape.js';
import { mul, sub } from './arithmetic.js';
import { unbroadcast } from './broadcast.js';
import { log, step } from './elementwise.js';

/** The broadcasting binary ops take equal shapes, a 1 × n row, an m × 1 column, or a number. */
type Binary = [Tensor | number, Tensor | number];

const rowKernel =
  (f: (a: number, b: number) => number): RowKernel =>
  (d, a, as, b, bs) => {
    for (let j = 0; j < d.length; j++) d[j] = f(a[j * as]!, b[j * bs]!);
  };

const maxRow = rowKernel(Math.max);
const powRow = rowKernel(Math.pow);

/** max(a, b), elementwise; at a tie the gradient goes to a. */
export const maximum: Op<Binary> = defineOp<Binary>({
  name: 'maximum',
  forward: (a, b) => zip('maximum', a, b, maxRow),
  // d max(a, b) = [a ≥ b] da + [b > a] db
  vjp: [
    (g, _out, a, b) => unbroadcast(mul(g, sub(1, step(sub(b, a)))), a),
    (g, _out, a, b) => unbroadcast(mul(g, step(sub(b, a))), b),
  ],
});

/** xʸ, elementwise. The exponent's cotangent needs x > 0 (it holds log x). */
export const pow: Op<Binary> = defineOp<Binary>({
  name: 'pow',
  forward: (x, y) => zip('pow', x, y, powRow),
  // d xʸ = y xʸ⁻¹ dx + xʸ log x dy
  vjp: [
    (g, _out, x, y) =>
      unbroadcast(mul(g, mul(y, pow(x, typeof y === 'number' ? y - 1 : sub(y, 1)))), x),
    (g, out, x, y) =>
      unbroadcast(mul(g, mul(out, typeof x === 'number' ? Math.log(x) : log(x))), y),
  ],
});

/**
 * a where the mask is non-zero, else b; the result has the mask's shape, and a and b broadcast to
 * it. The mask is a constant. A NaN computed in the branch not taken stays out of the value, and
 * that branch gets an exact zero cotangent: a selection, not a product with the mask, so an ∞ or NaN
 * cotangent is never multiplied by 0. A branch whose own VJP is singular at the unused inputs
 * (sqrt at 0 or below) still turns that zero into NaN: give it a safe input, as in JAX,
 * `where(m, sqrt(where(m, x, 1)), 0)`.
 */
export const where: Op<[Tensor, Tensor | number, Tensor | number]> = defineOp<
  [Tensor, Tensor | number, Tensor | number]
>({
  name: 'where',
  forward: (mask, a, b) => {
    const spread = (x: typeof a, side: string) => {
      const full = zip('where', x, mask, rows.first);
      if (full.rows !== mask.rows || full.columns !== mask.columns)
        throw new RangeError(
          `where: ${side} is ${typeof x === 'number' ? 'a number' : shapeString(x)} but the mask is ${shapeString(mask)}`,
        );
      return rowsOf(full);
    };
    const [as, bs] = [spread(a, 'a'), spread(b, 'b')];
    const [m, out] = alloc(mask.rows, mask.columns);
    const ms = rowsOf(mask);
    for (let i = 0; i < mask.rows; i++) {
      const [mr, ar, br, dst] = [ms[i]!, as[i]!, bs[i]!, out[i]!];
      for (let j = 0; j < dst.length; j++) dst[j] = mr[j] !== 0 ? ar[j]! : br[j]!;
    }
    return m;
  },
  // d where(m, a, b) = where(m, da, 0) + where(m, 0, db)
  vjp: [
    null,
    (g, _out, mask, a) => unbroadcast(where(mask, g, 0), a),
    (g, _out, mask, _a, b) => unbroadcast(where(mask, 0, g), b),
  ],
});
