import { showValue } from '@difftape/core';

/**
 * One home for number checks: a kind of number is its name in messages and its test. Runtime
 * checks (`checkNumber`) and the io-ts codecs of `decode.ts` take the same kinds, so a flag,
 * a spec field and a constructor argument are refused in the same words.
 */

/** A kind of number: `a positive integer`, and which numbers are of it. */
export interface NumberKind {
  /** How messages name the kind: `expected a positive integer, got 0`. */
  readonly name: string;
  /** Whether `n` is of this kind. */
  readonly ok: (n: number) => boolean;
}

/** Any finite number. */
export const finiteNumber: NumberKind = { name: 'a finite number', ok: Number.isFinite };

/** A finite number ≥ `min`, named `a finite number >= min`. */
export const atLeast = (min: number): NumberKind => ({
  name: `a finite number >= ${min}`,
  ok: (n) => Number.isFinite(n) && n >= min,
});

/** A finite number > `min`, named `a finite number > min`. */
export const greaterThan = (min: number): NumberKind => ({
  name: `a finite number > ${min}`,
  ok: (n) => Number.isFinite(n) && n > min,
});

/** A finite number in [min, max]. */
export const between = (min: number, max: number): NumberKind => ({
  name: `a number in [${min}, ${max}]`,
  ok: (n) => Number.isFinite(n) && n >= min && n <= max,
});

/** A safe integer ≥ 1. */
export const positiveInteger: NumberKind = {
  name: 'a positive integer',
  ok: (n) => Number.isSafeInteger(n) && n > 0,
};

/** A safe integer ≥ 0. */
export const nonNegativeInteger: NumberKind = {
  name: 'a non-negative integer',
  ok: (n) => Number.isSafeInteger(n) && n >= 0,
};

/** A number in [0, 1]. */
export const probability: NumberKind = {
  name: 'a probability in [0, 1]',
  ok: (n) => n >= 0 && n <= 1,
};

/** A number in [0, 1): a fraction that leaves something (dropout's rate). */
export const unitRate: NumberKind = { name: 'a rate in [0, 1)', ok: (n) => n >= 0 && n < 1 };

/** Returns `n`, or throws a RangeError `what: expected <kind>, got <n>`. */
export const checkNumber = (what: string, n: number, kind: NumberKind): number => {
  if (!kind.ok(n)) throw new RangeError(`${what}: expected ${kind.name}, got ${showValue(n)}`);
  return n;
};
