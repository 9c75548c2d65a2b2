import { describe, expect, it } from 'vitest';
import {
  describeValue,
  filled,
  isPlainObject,
  key,
  showValue,
  type Tensor,
  valueAndGrad,
} from './imports.js';

describe('describeValue', () => {
  it('says what a value is: shape of a matrix, length of an array, kind of anything else', () => {
    expect(describeValue(filled(2, 3, 0))).toBe('a 2x3 matrix');
    expect(describeValue([1, 2, 3, 4])).toBe('an array of 4');
    expect(describeValue({ a: 1 })).toBe('an object');
    expect(describeValue(null)).toBe('null');
    expect(describeValue(undefined)).toBe('undefined');
    expect(describeValue(new Set())).toBe('a Set');
    expect(describeValue(3)).toBe('a number');
    expect(describeValue(key(0))).toBe('an object');
  });

  it('names a traced matrix as such', () => {
    let seen = '';
    valueAndGrad((x: Tensor) => {
      seen = describeValue(x);
      return x;
    })(filled(1, 1, 2));
    expect(seen).toBe('a traced 1x1 matrix');
  });
});

describe('isPlainObject', () => {
  it('holds for object literals only', () => {
    expect(isPlainObject({})).toBe(true);
    expect(isPlainObject([])).toBe(false);
    expect(isPlainObject(filled(1, 1, 0))).toBe(false);
    expect(isPlainObject(null)).toBe(false);
  });
});

describe('showValue', () => {
  it('renders values briefly and unambiguously', () => {
    expect(showValue(-0)).toBe('-0');
    expect(showValue(Number.NaN)).toBe('NaN');
    expect(showValue('x')).toBe('"x"');
    expect(showValue(undefined)).toBe('undefined');
    expect(showValue({ a: [1, 2] })).toBe('{"a":[1,2]}');
    expect(showValue('y'.repeat(100))).toBe(`"${'y'.repeat(56)}...`);
  });

  it('shows the start of a value too deep for JSON.stringify, or cyclic', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 100_000; i++) deep = i % 2 === 0 ? [deep] : { a: deep };
    expect(() => JSON.stringify(deep)).toThrow(RangeError);
    expect(showValue(deep)).toBe(`${'{"a":['.repeat(9)}{"a...`);
    const cyclic: unknown[] = [1];
    cyclic.push(cyclic);
    expect(showValue(cyclic)).toBe(`${'[1,'.repeat(19)}...`);
  });
});
