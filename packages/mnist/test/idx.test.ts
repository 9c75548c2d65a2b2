import { gzipSync } from 'node:zlib';
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { DataError } from '../src/data-error.js';
import { encodeIdx, MAX_IDX_BYTES, parseIdx, parseIdxGz } from '../src/idx.js';

/** A hand-built IDX header: two zero bytes, type, ndims, then big-endian dims. */
const header = (type: number, dims: number[]): number[] => [
  0,
  0,
  type,
  dims.length,
  ...dims.flatMap((d) => [(d >>> 24) & 255, (d >>> 16) & 255, (d >>> 8) & 255, d & 255]),
];

describe('parseIdx', () => {
  it('reads a hand-built 3-d file', () => {
    const bytes = Uint8Array.from([
      ...header(8, [2, 2, 3]),
      ...Array.from({ length: 12 }, (_, i) => i * 20),
    ]);
    const { dims, data } = parseIdx(bytes, 'x.idx');
    expect(dims).toEqual([2, 2, 3]);
    expect(Array.from(data)).toEqual(Array.from({ length: 12 }, (_, i) => i * 20));
  });

  it('reads a hand-built 1-d file with a dimension above 255', () => {
    const bytes = Uint8Array.from([
      ...header(8, [300]),
      ...Array.from({ length: 300 }, (_, i) => i % 10),
    ]);
    const { dims, data } = parseIdx(bytes, 'l.idx', 1);
    expect(dims).toEqual([300]);
    expect(data[299]).toBe(9);
  });

  it('returns a view into the input', () => {
    const bytes = Uint8Array.from([...header(8, [2]), 7, 8]);
    const { data } = parseIdx(bytes, 'v.idx');
    expect(data.buffer).toBe(bytes.buffer);
    expect(data.byteOffset).toBe(8);
  });

  it.each([
    ['too short', [0, 0, 8], /x\.gz: expected at least 4 bytes of header, found 3/],
    [
      'non-zero magic',
      [1, 0, 8, 1, 0, 0, 0, 0],
      /x\.gz: expected the magic to start with bytes 0x00 0x00, found 0x01 0x00/,
    ],
    ['still gzipped', [0x1f, 0x8b, 8, 0], /still gzip-compressed/],
    [
      'float type',
      header(0x0d, [1]),
      /x\.gz: expected type code 0x08 \(unsigned byte\), found 0x0d \(float\)/,
    ],
    ['2 dims', [...header(8, [1, 1]), 0], /x\.gz: expected 1 or 3 dimensions, found 2/],
    [
      'short header',
      [0, 0, 8, 3, 0, 0, 0, 1, 0, 0],
      /x\.gz: expected a 16-byte header for 3 dimensions, found only 10 bytes/,
    ],
    [
      'short payload',
      [...header(8, [2, 2, 2]), 1, 2, 3],
      /x\.gz: expected 8 bytes of pixels after the header \(dims 2x2x2\), found 3/,
    ],
    [
      'long payload',
      [...header(8, [2]), 1, 2, 3],
      /x\.gz: expected 2 bytes of labels after the header \(dims 2\), found 3/,
    ],
  ])('rejects %s, naming the file', (_, bytes, message) => {
    expect(() => parseIdx(Uint8Array.from(bytes), 'x.gz')).toThrow(message);
  });

  it('checks the expected rank through the magic', () => {
    const labels = Uint8Array.from([...header(8, [1]), 3]);
    expect(() => parseIdx(labels, 'train-images-idx3-ubyte.gz', 3)).toThrow(
      'idx: train-images-idx3-ubyte.gz: expected magic 0x00000803, got 0x00000801',
    );
  });

  it('reports the MNIST-sized payload mismatch from the brief', () => {
    const bytes = Uint8Array.from([...header(8, [60000, 28, 28]), ...new Array(1000).fill(0)]);
    expect(() => parseIdx(bytes, 'train-images-idx3-ubyte.gz')).toThrow(
      'train-images-idx3-ubyte.gz: expected 47040000 bytes of pixels after the header (dims 60000x28x28), found 1000',
    );
  });
});

describe('encodeIdx', () => {
  test.prop([
    fc.oneof(
      fc.tuple(fc.integer({ min: 0, max: 20 })),
      fc.tuple(
        fc.integer({ min: 0, max: 5 }),
        fc.integer({ min: 0, max: 5 }),
        fc.integer({ min: 0, max: 5 }),
      ),
    ),
    fc.integer({ min: 0, max: 255 }),
  ])('round-trips through parseIdx', (dims, seed) => {
    const size = dims.reduce((a, b) => a * b, 1);
    const data = Uint8Array.from({ length: size }, (_, i) => (seed + 31 * i) % 256);
    const parsed = parseIdx(encodeIdx(dims, data), 'p.idx');
    expect(parsed.dims).toEqual(dims);
    expect(Array.from(parsed.data)).toEqual(Array.from(data));
  });

  it('writes the header byte for byte', () => {
    expect(Array.from(encodeIdx([258], new Uint8Array(258)).subarray(0, 8))).toEqual([
      0, 0, 8, 1, 0, 0, 1, 2,
    ]);
  });

  it('rejects a length that does not match the dims', () => {
    expect(() => encodeIdx([2, 3], new Uint8Array(5))).toThrow(
      'encodeIdx: expected 6 bytes for dims 2x3, got 5',
    );
    expect(() => encodeIdx([1.5], new Uint8Array(1))).toThrow(/dimension 0 must be an integer/);
    expect(() => encodeIdx([], new Uint8Array(1))).toThrow(/expected 1 to 255 dimensions/);
  });
});

describe('parseIdxGz', () => {
  it('gunzips then parses', () => {
    const gz = gzipSync(encodeIdx([3], Uint8Array.from([1, 2, 3])));
    expect(Array.from(parseIdxGz(gz, 'l.gz', 1).data)).toEqual([1, 2, 3]);
  });

  it('names the file when it is not gzip', () => {
    expect(() => parseIdxGz(encodeIdx([1], Uint8Array.from([1])), 'plain.gz')).toThrow(
      /idx: plain\.gz: expected a gzip-compressed file/,
    );
  });

  it('stops a gzip bomb one byte past what its header declares', () => {
    // 1 KB of gzip that inflates to 1 MB, behind a header declaring 10 labels.
    const bomb = gzipSync(
      Buffer.concat([Buffer.from(encodeIdx([10], new Uint8Array(10))), Buffer.alloc(1 << 20)]),
    );
    expect(bomb.length).toBeLessThan(2048);
    expect(() => parseIdxGz(bomb, 'bomb.gz', 1)).toThrow(
      new DataError(
        'idx: bomb.gz: inflates to more than the 18 bytes its header declares (dims 10)',
      ),
    );
  });

  it('refuses a header declaring more than the limit before inflating the payload', () => {
    const header = Buffer.from(encodeIdx([0, 0, 0], new Uint8Array(0)));
    header.writeUInt32BE(100_000, 4);
    header.writeUInt32BE(100_000, 8);
    header.writeUInt32BE(100_000, 12);
    expect(() => parseIdxGz(gzipSync(header), 'huge.gz', 3)).toThrow(
      new DataError(
        `idx: huge.gz: its header declares dims 100000x100000x100000 (${1e15 + 16} bytes), more than the ${MAX_IDX_BYTES}-byte limit`,
      ),
    );
    expect(() =>
      parseIdxGz(gzipSync(encodeIdx([100], new Uint8Array(100))), 'l.gz', 1, 50),
    ).toThrow('idx: l.gz: its header declares dims 100 (108 bytes), more than the 50-byte limit');
  });

  it('reads the header of a gzip file whose header lies past the first compressed bytes', () => {
    // A 2 KB gzip file name pushes the deflate data out of the first prefixes tried.
    const deflated = gzipSync(encodeIdx([3], Uint8Array.from([4, 5, 6])));
    const name = Buffer.alloc(2000, 0x61);
    const withName = Buffer.concat([
      deflated.subarray(0, 3),
      Buffer.from([0x08]),
      deflated.subarray(4, 10),
      name,
      Buffer.from([0]),
      deflated.subarray(10),
    ]);
    expect(Array.from(parseIdxGz(withName, 'named.gz', 1).data)).toEqual([4, 5, 6]);
  });

  it('names a truncated or empty gzip file', () => {
    const gz = gzipSync(encodeIdx([30], new Uint8Array(30).fill(7)));
    expect(() => parseIdxGz(gz.subarray(0, gz.length - 6), 'cut.gz', 1)).toThrow(
      /^idx: cut\.gz: expected a gzip-compressed file, could not gunzip it \(unexpected end of file\)$/,
    );
    expect(() => parseIdxGz(new Uint8Array(0), 'empty.gz', 1)).toThrow(
      new DataError('idx: empty.gz: expected at least 4 bytes of header, found 0'),
    );
  });
});
