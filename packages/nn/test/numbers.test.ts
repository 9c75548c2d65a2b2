import { describe, expect, it } from 'vitest';
import {
  atLeast,
  between,
  checkNumber,
  finiteNumber,
  greaterThan,
  nonNegativeInteger,
  positiveInteger,
  probability,
  unitRate,
} from '../src/numbers.js';

describe('number kinds', () => {
  it('hold exactly their numbers', () => {
    const table: [kind: typeof finiteNumber, yes: number[], no: number[]][] = [
      [finiteNumber, [0, -1.5, 1e308], [Number.NaN, Number.POSITIVE_INFINITY]],
      [atLeast(1), [1, 2.5], [0.999, Number.NaN, Number.POSITIVE_INFINITY]],
      [greaterThan(0), [Number.MIN_VALUE, 3], [0, -0, Number.NaN, Number.POSITIVE_INFINITY]],
      [between(0, 1), [0, 0.5, 1], [-0.1, 1.1, Number.NaN]],
      [positiveInteger, [1, 2 ** 53 - 1], [0, 1.5, 2 ** 53, Number.NaN]],
      [nonNegativeInteger, [0, 7], [-1, 0.5, 2 ** 53]],
      [probability, [0, 1], [-0.01, 1.01, Number.NaN]],
      [unitRate, [0, 0.999], [1, -0.5, Number.NaN]],
    ];
    for (const [kind, yes, no] of table) {
      for (const n of yes) expect(kind.ok(n), `${kind.name}: ${n}`).toBe(true);
      for (const n of no) expect(kind.ok(n), `${kind.name}: ${n}`).toBe(false);
    }
  });

  it('checkNumber returns the number or names what, the kind and the value', () => {
    expect(checkNumber('units', 3, positiveInteger)).toBe(3);
    expect(() => checkNumber('Dense(0): units', 0, positiveInteger)).toThrow(
      new RangeError('Dense(0): units: expected a positive integer, got 0'),
    );
    expect(() => checkNumber('lr', -0, greaterThan(0))).toThrow(
      'lr: expected a finite number > 0, got -0',
    );
    expect(() => checkNumber('beta', 2, between(0, 1))).toThrow(
      'beta: expected a number in [0, 1], got 2',
    );
  });
});
