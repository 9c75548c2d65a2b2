import { filled, type Key, type Matrix, normal, uniform } from '@difftape/core';
import { atLeast, checkNumber } from './numbers.js';

/** Makes a rows × cols weight matrix (rows = fan-in, cols = fan-out) from a PRNG key. */
export type Initialiser = (key: Key, rows: number, cols: number) => Matrix;

/** N(0, std²) entries; the report's weights are `normalInit(0.1)`. (Not `normal`: that is core's sampler.) */
export const normalInit =
  (std: number): Initialiser =>
  (key, rows, cols) =>
    normal(key, rows, cols, checkNumber('normalInit(std)', std, atLeast(0)));

/** He (Kaiming) normal: N(0, 2 / fan-in), suited to ReLU layers. */
export const heNormal: Initialiser = (key, rows, cols) =>
  normal(key, rows, cols, Math.sqrt(2 / Math.max(rows, 1)));

/** Glorot (Xavier) uniform: U(−a, a) with a = √(6 / (fan-in + fan-out)). */
export const glorotUniform: Initialiser = (key, rows, cols) => {
  const a = Math.sqrt(6 / Math.max(rows + cols, 1));
  return uniform(key, rows, cols, -a, a);
};

/** All zeros: the report's biases. */
export const zeros: Initialiser = (_key, rows, cols) => filled(rows, cols, 0);
