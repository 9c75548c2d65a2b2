import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import {
  decodeSafetensors,
  encodeSafetensors,
  MAX_HEADER_BYTES,
  type TensorToWrite,
} from '../src/safetensors.js';

const bitsOf = (x: Float64Array): number[] =>
  Array.from(new Uint8Array(x.buffer, x.byteOffset, x.byteLength));

/** Doubles with the awkward ones made likely: -0, subnormals, extremes, infinities, NaN. */
const double = fc.oneof(
  fc.double(),
  fc.constantFrom(
    -0,
    Number.MIN_VALUE,
    -Number.MIN_VALUE,
    2.2250738585072014e-308 / 3,
    Number.MAX_VALUE,
    Number.POSITIVE_INFINITY,
    Number.NEGATIVE_INFINITY,
    Number.NaN,
  ),
);

const tensor = (name: string, dtype: 'F64' | 'F32') =>
  fc.tuple(fc.integer({ min: 0, max: 4 }), fc.integer({ min: 0, max: 4 })).chain(([r, c]) =>
    fc.array(double, { minLength: r * c, maxLength: r * c }).map(
      (values): TensorToWrite => ({
        name,
        dtype,
        shape: [r, c],
        data: Float64Array.from(values),
      }),
    ),
  );

const tensors = (dtype: 'F64' | 'F32') =>
  fc
    .uniqueArray(
      fc.string({ minLength: 1, maxLength: 8 }).filter((s) => s !== '__metadata__'),
      {
        maxLength: 5,
      },
    )
    .chain((names) => fc.tuple(...names.map((n) => tensor(n, dtype))));

/** A file from a header (object or raw text) and a buffer; `declared` overrides the length field. */
const craft = (
  header: object | string,
  buffer: Uint8Array | number = 0,
  declared?: bigint,
): Uint8Array => {
  const text = typeof header === 'string' ? header : JSON.stringify(header);
  const json = new TextEncoder().encode(text);
  const data = typeof buffer === 'number' ? new Uint8Array(buffer) : buffer;
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, declared ?? BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
};

describe('encodeSafetensors / decodeSafetensors', () => {
  test.prop([tensors('F64')])('F64 round trip is bit-identical', (ts) => {
    const decoded = decodeSafetensors(encodeSafetensors(ts), 'mem').tensors;
    expect([...decoded.keys()].sort()).toEqual(ts.map((x) => x.name).sort());
    for (const x of ts) {
      const got = decoded.get(x.name)!;
      expect(got.dtype).toBe('F64');
      expect(got.shape).toEqual(x.shape);
      expect(bitsOf(got.data)).toEqual(bitsOf(x.data));
    }
  });

  test.prop([tensors('F32')])('F32 round trip equals Math.fround of the input', (ts) => {
    const decoded = decodeSafetensors(encodeSafetensors(ts), 'mem').tensors;
    for (const x of ts) {
      const got = decoded.get(x.name)!;
      expect(got.dtype).toBe('F32');
      expect(bitsOf(got.data)).toEqual(bitsOf(x.data.map(Math.fround)));
    }
  });

  it('keeps a NaN payload bit for bit in F64', () => {
    const data = new Float64Array(1);
    new DataView(data.buffer).setBigUint64(0, 0x7ff8_dead_beef_0001n, true);
    const got = decodeSafetensors(
      encodeSafetensors([{ name: 'x', dtype: 'F64', shape: [1, 1], data }]),
      'mem',
    );
    expect(bitsOf(got.tensors.get('x')!.data)).toEqual(bitsOf(data));
  });

  it('writes the exact layout: u64 LE length, space-padded JSON header, LE data in header order', () => {
    const bytes = encodeSafetensors(
      [
        { name: 'b', dtype: 'F64', shape: [1, 1], data: Float64Array.of(1) },
        { name: 'a', dtype: 'F32', shape: [1, 2], data: Float64Array.of(-2, 0.5) },
      ],
      { k: 'v' },
    );
    const json =
      '{"__metadata__":{"k":"v"},"b":{"dtype":"F64","shape":[1,1],"data_offsets":[0,8]},' +
      '"a":{"dtype":"F32","shape":[1,2],"data_offsets":[8,16]}}';
    const padded = json + ' '.repeat((8 - (json.length % 8)) % 8);
    expect(padded.length % 8).toBe(0);
    const expected = [
      ...new Uint8Array(new BigUint64Array([BigInt(padded.length)]).buffer),
      ...new TextEncoder().encode(padded),
      ...[0, 0, 0, 0, 0, 0, 0xf0, 0x3f], // 1.0 as f64 LE
      ...[0, 0, 0, 0xc0, 0, 0, 0, 0x3f], // -2.0, 0.5 as f32 LE
    ];
    expect(Array.from(bytes)).toEqual(expected);
  });

  it('keeps integer-like names in the order given', () => {
    const ts: TensorToWrite[] = ['10', '2', 'x'].map((name) => ({
      name,
      dtype: 'F64',
      shape: [1, 1],
      data: Float64Array.of(Number(name)),
    }));
    const bytes = encodeSafetensors(ts);
    const header = new TextDecoder().decode(
      bytes.subarray(8, 8 + Number(new DataView(bytes.buffer).getBigUint64(0, true))),
    );
    expect(header.indexOf('"10"')).toBeLessThan(header.indexOf('"2"'));
    expect([...decodeSafetensors(bytes, 'mem').tensors.keys()]).toEqual(['10', '2', 'x']);
  });

  it('round-trips metadata and defaults it to {}', () => {
    const t: TensorToWrite = { name: 'w', dtype: 'F64', shape: [0, 3], data: new Float64Array(0) };
    expect(decodeSafetensors(encodeSafetensors([t], { a: '1', b: '' }), 'mem').metadata).toEqual({
      a: '1',
      b: '',
    });
    expect(decodeSafetensors(encodeSafetensors([t]), 'mem').metadata).toEqual({});
  });

  it('reads files from other writers: unpadded header, keys not in buffer order', () => {
    const buffer = new Uint8Array(new Float64Array([1, 2, 3]).buffer);
    const bytes = craft(
      {
        late: { dtype: 'F64', shape: [1, 2], data_offsets: [8, 24] },
        early: { dtype: 'F64', shape: [1], data_offsets: [0, 8] },
      },
      buffer,
    );
    const { tensors } = decodeSafetensors(bytes, 'mem');
    expect([...tensors.keys()]).toEqual(['early', 'late']);
    expect(Array.from(tensors.get('late')!.data)).toEqual([2, 3]);
    expect(tensors.get('early')!.shape).toEqual([1]);
  });

  it('refuses to write inconsistent tensors', () => {
    const t: TensorToWrite = { name: 'w', dtype: 'F64', shape: [2, 2], data: new Float64Array(3) };
    expect(() => encodeSafetensors([t])).toThrow(
      'safetensors: tensor "w": shape [2, 2] does not hold 3 values',
    );
    const ok: TensorToWrite = { ...t, data: new Float64Array(4) };
    expect(() => encodeSafetensors([ok, ok])).toThrow('tensor name "w" is reserved or used twice');
    expect(() => encodeSafetensors([{ ...ok, name: '__metadata__' }])).toThrow('reserved');
  });
});

describe('decodeSafetensors errors', () => {
  const f64 = (begin: number, end: number, shape: unknown = [1]) => ({
    dtype: 'F64',
    shape,
    data_offsets: [begin, end],
  });
  const cases: [string, Uint8Array, string][] = [
    [
      'a file shorter than 8 bytes',
      new Uint8Array(5),
      'file is 5 bytes, shorter than the 8-byte header length',
    ],
    [
      'a header longer than the file',
      craft('{}', 0, 100n),
      'header length 100 exceeds the 2 bytes after the length field',
    ],
    [
      'an absurd header length',
      craft('{}', 0, 2n ** 63n),
      `header length ${2n ** 63n} exceeds the ${MAX_HEADER_BYTES}-byte limit`,
    ],
    ['a header that is not JSON', craft('{"a":'), 'header is not valid JSON: '],
    ['a header that is not an object', craft('[1, 2]'), 'header is not a JSON object'],
    [
      'a header that is not UTF-8',
      craft('{"\xff"}').map((b, i) => (i === 10 ? 0xff : b)),
      'header is not valid UTF-8',
    ],
    ['an entry that is not an object', craft({ w: 3 }), 'tensor "w": entry is not an object'],
    [
      'an unknown dtype',
      craft({ w: { ...f64(0, 8), dtype: 'Q7' } }, 8),
      'tensor "w": unknown dtype "Q7"',
    ],
    [
      'an unsupported dtype',
      craft({ w: { ...f64(0, 4), dtype: 'I32' } }, 4),
      'tensor "w": unsupported dtype I32 (this reader reads F64 and F32)',
    ],
    [
      'a missing dtype',
      craft({ w: { shape: [1], data_offsets: [0, 8] } }, 8),
      'tensor "w": dtype is missing or not a string',
    ],
    [
      'a shape that is not an array',
      craft({ w: f64(0, 8, 1) }, 8),
      'tensor "w": shape 1 is not an array of non-negative integers',
    ],
    [
      'a negative dimension',
      craft({ w: f64(0, 8, [-1]) }, 8),
      'tensor "w": shape [-1] is not an array of non-negative integers',
    ],
    [
      'a fractional dimension',
      craft({ w: f64(0, 8, [1.5]) }, 8),
      'tensor "w": shape [1.5] is not an array of non-negative integers',
    ],
    [
      'offsets that are not a pair',
      craft({ w: { dtype: 'F64', shape: [1], data_offsets: [0] } }, 8),
      'tensor "w": data_offsets [0] is not a pair of non-negative integers',
    ],
    [
      'negative offsets',
      craft({ w: f64(-8, 0) }, 8),
      'tensor "w": data_offsets [-8,0] is not a pair of non-negative integers',
    ],
    [
      'offsets past the buffer',
      craft({ w: f64(0, 16, [2]) }, 8),
      'tensor "w": data_offsets [0, 16] out of range for a 8-byte buffer',
    ],
    [
      'reversed offsets',
      craft({ w: f64(8, 0) }, 8),
      'tensor "w": data_offsets [8, 0] out of range for a 8-byte buffer',
    ],
    [
      'a length that does not match dtype x shape',
      craft({ w: f64(0, 16, [3]) }, 16),
      'tensor "w": data_offsets [0, 16] hold 16 bytes, but F64 [3] needs 24',
    ],
    [
      'a shape too large to count',
      craft({ w: f64(0, 8, [2 ** 40, 2 ** 40]) }, 8),
      'tensor "w": data_offsets [0, 8] hold 8 bytes, but F64 [1099511627776, 1099511627776] needs too many',
    ],
    [
      'overlapping tensors',
      craft({ a: f64(0, 16, [2]), b: f64(8, 16) }, 16),
      'tensor "b": data_offsets [8, 16] overlap tensor "a"',
    ],
    [
      'a gap between tensors',
      craft({ a: f64(0, 8), b: f64(16, 24) }, 24),
      'tensor "b": 8 unused bytes before it (at offset 8)',
    ],
    ['trailing bytes', craft({ a: f64(0, 8) }, 12), '4 trailing bytes after the last tensor'],
    [
      'metadata that is not an object',
      craft({ __metadata__: 'x' }),
      '__metadata__ is not an object',
    ],
    [
      'metadata with a non-string value',
      craft({ __metadata__: { epoch: 3 } }),
      '__metadata__["epoch"] is not a string',
    ],
  ];
  it.each(cases)('rejects %s, naming the file', (_name, bytes, message) => {
    expect(() => decodeSafetensors(bytes, 'model.safetensors')).toThrow(
      `safetensors: model.safetensors: ${message}`,
    );
  });

  it('rejects every truncation of a valid file', () => {
    const bytes = encodeSafetensors([
      { name: 'w', dtype: 'F64', shape: [2, 2], data: Float64Array.of(1, 2, 3, 4) },
      { name: 'b', dtype: 'F32', shape: [1, 2], data: Float64Array.of(5, 6) },
    ]);
    for (let n = 0; n < bytes.length; n++) {
      expect(() => decodeSafetensors(bytes.subarray(0, n), 'cut')).toThrow(/^safetensors: cut: /);
    }
  });
});
