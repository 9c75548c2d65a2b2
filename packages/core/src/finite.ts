import { firstNonFinite } from './kernels.js';
import { type Matrix, shapeString } from './matrix.js';

/** The `checkFinite` mode: name the first op, and its tape index, to make a NaN or ±Infinity. */

/** Where in a model a non-finite value appeared: a layer's index in its `Serial` and its name. */
export interface LayerSite {
  readonly index: number;
  readonly name: string;
}

/** Thrown by `checkFinite` mode: names the op, its tape index, the bad value and (when known) the layer. */
export class NonFiniteError extends Error {
  constructor(
    message: string,
    readonly op: string,
    readonly tapeIndex: number,
    readonly pass: 'forward' | 'backward',
    readonly value: number,
    readonly layer?: LayerSite,
  ) {
    super(message);
    this.name = 'NonFiniteError';
  }

  /** The same error, placed in `layer` (the innermost layer that knows it wins). */
  inLayer(layer: LayerSite): NonFiniteError {
    if (this.layer) return this;
    return new NonFiniteError(
      `${this.message} in layer ${layer.index} (${layer.name})`,
      this.op,
      this.tapeIndex,
      this.pass,
      this.value,
      layer,
    );
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
      `checkFinite: '${op}' (tape index ${index}) produced ${bad[2]} at [${bad[0]}, ${bad[1]}] of its ${shapeString(out)} output`,
      op,
      index,
      'forward',
      bad[2],
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
      bad[2],
    );
  }
};
