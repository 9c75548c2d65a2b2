import { fc, test } from '@fast-check/vitest';
import { isLeft, isRight, left, right } from 'fp-ts/lib/Either.js';
import * as t from 'io-ts';
import { describe, expect, it } from 'vitest';
import {
  decodeOrThrow,
  decodeWith,
  exactObject,
  formatDecodeErrors,
  NonNegativeInt,
  NonNegativeNumber,
  PositiveInt,
  PositiveNumber,
  Probability,
} from '../src/decode.js';

const lines = (codec: t.Decoder<unknown, unknown>, value: unknown): string[] => {
  const result = codec.decode(value);
  if (!isLeft(result)) throw new Error('expected a decoding failure');
  return formatDecodeErrors(result.left);
};

describe('formatDecodeErrors', () => {
  it('prints array indices in brackets and keys with dots', () => {
    const codec = t.type({ layers: t.array(t.type({ dense: PositiveInt })) });
    const value = { layers: [{ dense: 1 }, { dense: 2 }, { dense: 'x' }] };
    expect(lines(codec, value)).toEqual(['layers[2].dense: expected a positive integer, got "x"']);
  });

  it('quotes keys that are not identifiers', () => {
    const codec = t.record(t.string, PositiveInt);
    expect(lines(codec, { 'a.b': 0, ok: 1 })).toEqual([
      '["a.b"]: expected a positive integer, got 0',
    ]);
  });

  it('gives one line per error, in order', () => {
    const codec = t.type({ a: t.number, b: t.array(t.string) });
    expect(lines(codec, { a: 'one', b: ['x', 2, 'y', false] })).toEqual([
      'a: expected a number, got "one"',
      'b[1]: expected a string, got 2',
      'b[3]: expected a string, got false',
    ]);
  });

  it('says which key is missing', () => {
    expect(lines(t.type({ lr: PositiveNumber }), {})).toEqual([
      'lr: missing, expected a finite number > 0',
    ]);
  });

  it('prints a failure at the root without a path', () => {
    expect(lines(t.type({ a: t.number }), 3)).toEqual(['expected an object, got 3']);
  });

  it('reports only the union member that got furthest', () => {
    const codec = t.union([t.string, t.type({ a: t.type({ b: PositiveInt }) }), t.array(t.number)]);
    expect(lines(codec, { a: { b: 0 } })).toEqual(['a.b: expected a positive integer, got 0']);
  });

  it('merges union members that all reject the same value into one line', () => {
    const codec = t.type({ batch: t.union([PositiveInt, t.literal('auto')]) });
    expect(lines(codec, { batch: 'x' })).toEqual([
      'batch: expected a positive integer or "auto", got "x"',
    ]);
  });

  it('prefers a member that accepted the kind of value (unknown key) over outright rejections', () => {
    const codec = t.union([t.keyof({ relu: null }), exactObject({ dense: PositiveInt })]);
    expect(lines(codec, { dense: 3, units: 4 })).toEqual([
      'unknown key "units" (allowed: "dense")',
    ]);
  });

  it('describes keyof and tuple codecs', () => {
    expect(lines(t.keyof({ a: null, b: null }), 'c')).toEqual([
      'expected one of "a", "b", got "c"',
    ]);
    expect(lines(t.tuple([t.number, t.number]), 'c')).toEqual(['expected an array of 2, got "c"']);
  });

  test.prop([fc.anything()])('never returns an empty report for a failing value', (value) => {
    const codec = t.type({
      layers: t.array(t.union([t.literal('relu'), exactObject({ dense: PositiveInt })])),
    });
    const result = codec.decode(value);
    if (isLeft(result)) expect(formatDecodeErrors(result.left).length).toBeGreaterThan(0);
  });
});

describe('exactObject', () => {
  const codec = exactObject({ units: PositiveInt }, { init: t.string });

  it('accepts required and optional keys', () => {
    expect(codec.decode({ units: 3 })).toEqual(right({ units: 3 }));
    expect(codec.decode({ units: 3, init: 'zeros' })).toEqual(right({ units: 3, init: 'zeros' }));
    expect(codec.is({ units: 3, extra: 1 })).toBe(false);
  });

  it('rejects unknown keys, naming them and the allowed ones', () => {
    expect(lines(codec, { units: 3, foo: 1, bar: 2 })).toEqual([
      'unknown keys "foo", "bar" (allowed: "units", "init")',
    ]);
  });

  it('reports unknown keys beside other errors', () => {
    expect(lines(codec, { unit: 3 })).toEqual([
      'unknown key "unit" (allowed: "units", "init")',
      'units: missing, expected a positive integer',
    ]);
  });
});

describe('branded numbers', () => {
  const cases: [string, t.Decoder<unknown, unknown>, unknown[], unknown[]][] = [
    ['PositiveInt', PositiveInt, [1, 7, 2 ** 53 - 1], [0, -1, 1.5, 2 ** 53, Number.NaN, '1', null]],
    ['NonNegativeInt', NonNegativeInt, [0, 3], [-1, 0.5, Number.POSITIVE_INFINITY, '0']],
    [
      'NonNegativeNumber',
      NonNegativeNumber,
      [0, 0.25, 1e300],
      [-1e-9, Number.POSITIVE_INFINITY, Number.NaN],
    ],
    [
      'PositiveNumber',
      PositiveNumber,
      [1e-300, 0.05],
      [0, -0.05, Number.POSITIVE_INFINITY, Number.NaN],
    ],
    ['Probability', Probability, [0, 0.5, 1], [-0.01, 1.01, Number.NaN, '0.5']],
  ];
  it.each(cases)('%s accepts and rejects the right numbers', (_name, codec, good, bad) => {
    for (const x of good) expect(isRight(codec.decode(x)), `${x}`).toBe(true);
    for (const x of bad) expect(isLeft(codec.decode(x)), `${x}`).toBe(true);
  });

  it('describe themselves in messages', () => {
    expect(lines(Probability, 2)).toEqual(['expected a probability in [0, 1], got 2']);
    expect(lines(NonNegativeNumber, -1)).toEqual(['expected a finite number >= 0, got -1']);
  });
});

describe('decodeWith and decodeOrThrow', () => {
  const codec = t.type({ epochs: PositiveInt, lr: PositiveNumber });

  it('returns the decoded value', () => {
    expect(decodeWith(codec, { epochs: 30, lr: 0.05 }, 'flags')).toEqual(
      right({ epochs: 30, lr: 0.05 }),
    );
    expect(decodeOrThrow(codec, { epochs: 30, lr: 0.05 }, 'flags')).toEqual({
      epochs: 30,
      lr: 0.05,
    });
  });

  it('prefixes every line with what was decoded', () => {
    const message =
      'flags: epochs: expected a positive integer, got -3\nflags: lr: missing, expected a finite number > 0';
    expect(decodeWith(codec, { epochs: -3 }, 'flags')).toEqual(left(message));
    expect(() => decodeOrThrow(codec, { epochs: -3 }, 'flags')).toThrow(message);
  });
});
