import * as mm from '../matmul.js';
import { defineOp, type Op } from '../op.js';
import type { Tensor } from '../tape.js';
import { sumRows } from './broadcast.js';
import { matmulNT, matmulTN } from './linalg.js';

/**
 * x·W + b with a 1 × n bias b, in one kernel call: the same bits as add(matmul(x, W), b), with
 * one result allocated instead of two and one tape node instead of two.
 */
export const dense: Op<[x: Tensor, W: Tensor, b: Tensor]> = defineOp<
  [x: Tensor, W: Tensor, b: Tensor]
>({
  name: 'dense',
  forward: mm.dense,
  // the VJPs of add(matmul(x, W), b): x̄ = ḡ·Wᵀ, W̄ = xᵀ·ḡ, b̄ = ḡ summed over rows
  vjp: [(g, _out, _x, W) => matmulNT(g, W), (g, _out, x) => matmulTN(x, g), (g) => sumRows(g)],
});
