import { firstNonFinite } from './kernels.js';
import type { Matrix } from './matrix.js';

/** The `checkFinite` mode: name the first op, and its tape index, to make a NaN or ±Infinity. */

/** Thrown by `checkFinite` mode: names the op and its tape index. */
export class NonFiniteError extends Error {
  constructor(
    message: string,
    readonly op: string,
    readonly tapeIndex: number,
    readonly pass: 'forward' | 'backward',
  ) {
    super(message);
    this.name = 'NonFiniteError';
  }
}

const firstBad = (m: Matrix): [number, number, number] | undefined => {
  const at = firstNonFinite(m);
  return at && [at[0], at[1], m.get(at[0], at[1])];
};

/** Throws if an op's output holds a non-finite value. */
export const checkForward = (op: string, index: number, out: Matrix): void => {
  const bad = firstBad(out);
  if (bad) {
    throw new NonFiniteError(
      `checkFinite: '${op}' (tape index ${index}) produced ${bad[2]} at [${bad[0]}, ${bad[1]}] of its ${out.rows}x${out.columns} output`,
      op,
      index,
      'forward',
    );
  }
};

/** Throws if a VJP's cotangent holds a non-finite value. */
export const checkBackward = (op: string, index: number, input: number, ct: Matrix): void => {
  const bad = firstBad(ct);
  if (bad) {
    throw new NonFiniteError(
      `checkFinite: the backward pass of '${op}' (tape index ${index}) produced ${bad[2]} at [${bad[0]}, ${bad[1]}] in the cotangent of input ${input}`,
      op,
      index,
      'backward',
    );
  }
};
