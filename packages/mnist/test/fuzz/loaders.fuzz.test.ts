import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateSync, gzipSync } from 'node:zlib';
import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { DataError } from '../../src/data-error.js';
import { decodeDigitPng, encodeDigitPng } from '../../src/digit-png.js';
import { encodeIdx, parseIdx, parseIdxGz } from '../../src/idx.js';
import { LAYOUT, loadImageDir, parseLabelFile } from '../../src/images.js';
import { chunk, ihdr, pngOf } from '../png-helpers.js';
import { attempt, mutated, RUNS, TIMEOUT } from './fuzz-helpers.js';

/**
 * Fuzzing the data loaders: every input ends in a result or a `DataError` naming the input; never
 * another exception, a hang or an allocation beyond what the limits allow. Where an oracle exists
 * (gzip bombs, label lines), the outcome is checked exactly, so nothing is silently different.
 */

const product = (dims: readonly number[]) => dims.reduce((a, b) => a * b, 1);
const pattern = (n: number): Uint8Array => {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (i * 37) & 255;
  return out;
};

describe('fuzzing the IDX parser', () => {
  const valid = encodeIdx([5, 4, 3], pattern(60));

  test.prop([mutated(valid, 16)], { numRuns: RUNS })(
    'mutated files parse to a consistent view or a DataError',
    (bytes) => {
      const r = attempt(() => parseIdx(bytes, 'fuzz'), 'idx: fuzz: ');
      if ('ok' in r) {
        expect(r.ok.data.length).toBe(product(r.ok.dims));
        expect(r.ok.data.buffer).toBe(bytes.buffer);
        expect(r.ok.data.byteOffset + r.ok.data.length).toBe(bytes.length);
      }
    },
    TIMEOUT,
  );

  const header = fc.record({
    type: fc.oneof(fc.constant(8), fc.nat(255)),
    dims: fc.array(fc.oneof(fc.nat(6), fc.constant(0xffffffff), fc.nat(0xffffffff)), {
      maxLength: 4,
    }),
    ndims: fc.option(fc.nat(255), { nil: undefined }),
    payload: fc.nat(400),
  });
  // Regression: a rank of 3 with one dim written reads the other two from the (zero) payload.
  const seen = [{ type: 8, dims: [0xffffffff], ndims: 3, payload: 8 }];
  test.prop([header], { numRuns: RUNS, examples: seen.map((h) => [h]) })(
    'any header, even one declaring 2^96 bytes, is checked without allocating',
    ({ type, dims, ndims, payload }) => {
      const head = [0, 0, type, ndims ?? dims.length];
      const bytes = new Uint8Array(head.length + 4 * dims.length + payload);
      bytes.set(head);
      const view = new DataView(bytes.buffer);
      dims.forEach((d, i) => {
        view.setUint32(4 + 4 * i, d, false);
      });
      const r = attempt(() => parseIdx(bytes, 'fuzz'), 'idx: fuzz: ');
      if ('ok' in r) {
        // The header's own rank decides where the payload starts (not how many dims were written).
        expect(r.ok.data.length).toBe(bytes.length - 4 - 4 * r.ok.dims.length);
        expect(r.ok.data.length).toBe(product(r.ok.dims));
      }
    },
    TIMEOUT,
  );
});

describe('fuzzing gzip input', () => {
  const gz = gzipSync(encodeIdx([6, 5, 4], pattern(120)));

  test.prop([mutated(gz, 40)], { numRuns: RUNS })(
    'mutated gzip files inflate within the limit or give a DataError',
    (bytes) => {
      const r = attempt(() => parseIdxGz(bytes, 'fuzz', undefined, 4096), 'idx: fuzz: ');
      if ('ok' in r) expect(r.ok.data.length).toBe(product(r.ok.dims));
    },
    TIMEOUT,
  );

  // Exact oracle: a file loads if and only if it holds what its header declares, within the limit.
  const bomb = fc.record({
    dims: fc.oneof(
      fc.tuple(fc.nat(8), fc.nat(8), fc.nat(8)),
      fc.tuple(fc.nat(0xffffffff), fc.nat(0xffffffff), fc.nat(0xffffffff)),
    ),
    extra: fc.oneof(
      { weight: 4, arbitrary: fc.oneof(fc.constant(0), fc.nat(4), fc.nat(1 << 14)) },
      { weight: 1, arbitrary: fc.constant(1 << 20) },
    ),
    short: fc.oneof(fc.constant(0), fc.nat(3)),
    zeros: fc.boolean(),
  });
  test.prop([bomb], { numRuns: RUNS })(
    'a gzip bomb or a short file never inflates past the declared size',
    ({ dims, extra, short, zeros }) => {
      const limit = 1024;
      const total = 16 + product(dims);
      const declared = total <= limit ? total : 16;
      const body = new Uint8Array(Math.max(16, declared - short + extra));
      if (!zeros) body.set(pattern(body.length));
      const view = new DataView(body.buffer);
      view.setUint32(0, 0x803, false);
      dims.forEach((d, i) => {
        view.setUint32(4 + 4 * i, d, false);
      });
      const r = attempt(() => parseIdxGz(gzipSync(body), 'fuzz', 3, limit), 'idx: fuzz: ');
      const fits = total <= limit && body.length === total;
      expect('ok' in r, JSON.stringify(r)).toBe(fits);
      if ('ok' in r) expect(r.ok.dims).toEqual(dims);
      else if (total > limit) expect(r.error).toMatch(/more than the 1024-byte limit$/);
      else if (body.length > total) expect(r.error).toMatch(/inflates to more than the \d+ bytes/);
    },
    TIMEOUT,
  );
});

/** Leaves freed memory holding `value`, so a read of uninitialised memory shows. */
const dirtyMemory = (value: number) => {
  for (const n of [4096, 65536]) Buffer.allocUnsafe(n).fill(value);
};

/** Decodes `bytes` twice, memory dirtied differently before each: both outcomes must agree. */
const decodeTwice = (bytes: Uint8Array, size = { rows: 28, cols: 28 }) => {
  dirtyMemory(0);
  const first = attempt(() => decodeDigitPng(bytes, 'fuzz.png', size), 'fuzz.png: ');
  dirtyMemory(0xa5);
  const second = attempt(() => decodeDigitPng(bytes, 'fuzz.png', size), 'fuzz.png: ');
  expect(second).toEqual(first);
  if ('ok' in first) expect(first.ok.length).toBe(size.rows * size.cols);
  return first;
};

describe('fuzzing the PNG decoder', () => {
  const valid = encodeDigitPng(pattern(784));

  test.prop([mutated(valid, 64)], { numRuns: RUNS })(
    'mutated PNGs decode to 784 pixels or a DataError, the same on every decode',
    (bytes) => {
      decodeTwice(bytes);
    },
    TIMEOUT,
  );

  // Hand-assembled files: any IHDR, zero to three IDATs of any length, IEND or not, extra chunks;
  // each field mostly valid, so that about a tenth of the cases are decodable and the rest differ
  // from a decodable file in one or two fields.
  const mostly = <T>(valid: fc.Arbitrary<T>, other: fc.Arbitrary<T>) =>
    fc.oneof({ weight: 5, arbitrary: valid }, { weight: 1, arbitrary: other });
  const CHANNELS: Record<number, number> = { 0: 1, 4: 2, 2: 3, 6: 4 };
  const png = fc.record({
    width: mostly(fc.constant(28), fc.constantFrom(0, 27, 29, 16000, 2 ** 31)),
    height: mostly(fc.constant(28), fc.constantFrom(0, 1, 16000)),
    depth: mostly(fc.constant(8), fc.constantFrom(1, 16)),
    colorType: mostly(fc.constantFrom(0, 2, 4, 6), fc.constantFrom(3, 7)),
    interlace: mostly(fc.constant(0), fc.constantFrom(1, 2)),
    // How far the pixel data is from the length the header needs: short, long or a bomb.
    lengthOff: mostly(
      fc.constant(0),
      fc.oneof(fc.integer({ min: -900, max: 900 }), fc.constant(1 << 16)),
    ),
    filter: mostly(fc.nat(4), fc.integer({ min: 5, max: 255 })),
    idats: mostly(fc.integer({ min: 1, max: 3 }), fc.constant(0)),
    iend: mostly(fc.constant(true), fc.constant(false)),
    extra: mostly(fc.constantFrom('', 'tEXt', 'gAMA'), fc.constantFrom('tRNS', 'PLTE')),
  });
  test.prop([png], { numRuns: RUNS })(
    'assembled PNGs decode exactly when complete, 8-bit and 28 x 28; the rest are refused',
    ({ width, height, depth, colorType, interlace, lengthOff, filter, idats, iend, extra }) => {
      const line = 1 + 28 * (CHANNELS[colorType] ?? 1);
      const raw = pattern(Math.max(0, 28 * line + lengthOff)).map((v, i) =>
        i % line === 0 ? filter : v,
      );
      const z = deflateSync(raw);
      const parts = Array.from({ length: idats }, (_, i) =>
        chunk('IDAT', z.subarray((i * z.length) / idats, ((i + 1) * z.length) / idats)),
      );
      const bytes = pngOf(
        ihdr(width, height, depth, colorType, interlace),
        ...(extra ? [chunk(extra, Uint8Array.from([0, 1, 2, 3, 4, 5]))] : []),
        ...parts,
        ...(iend ? [chunk('IEND')] : []),
      );
      const r = decodeTwice(bytes);
      const decodable =
        width === 28 &&
        height === 28 &&
        depth === 8 &&
        CHANNELS[colorType] !== undefined &&
        interlace === 0 &&
        lengthOff === 0 &&
        filter <= 4 &&
        idats > 0 &&
        iend &&
        extra !== 'tRNS';
      expect('ok' in r, JSON.stringify(r)).toBe(decodable);
    },
    TIMEOUT,
  );
});

describe('fuzzing label files', () => {
  const line = fc.oneof(
    fc.nat(9).map(String),
    fc.nat(9).map((n) => `${n}.0`),
    fc.nat(9).map((n) => ` +${n}.00 `),
    fc.constantFrom('', '10', '-1', '5.5', '5e0', 'seven', '0x5', '٣', '5\u0000', 'NaN'),
    fc.string({ maxLength: 6 }),
  );
  const file = fc.record({
    lines: fc.array(line, { maxLength: 30 }),
    eol: fc.constantFrom('\n', '\r\n'),
    trailing: fc.nat(3),
  });
  // The grammar, independently: optional +, digits, optional .0…, blanks around.
  const valid = (l: string) => /^\+?\d+(\.0*)?$/.test(l.trim()) && Number(l.trim()) <= 9;

  test.prop([file], { numRuns: RUNS })(
    'labels load exactly as written, or the first bad line is named',
    ({ lines, eol, trailing }) => {
      const text = lines.join(eol) + eol.repeat(trailing);
      const r = attempt(() => parseLabelFile(text, 'fuzz'), 'fuzz:');
      const kept = text.split(/\r?\n/);
      while (kept.length > 0 && kept.at(-1)!.trim() === '') kept.pop();
      const firstBad = kept.findIndex((l) => !valid(l));
      if ('ok' in r) {
        expect(firstBad).toBe(-1);
        expect(Array.from(r.ok)).toEqual(kept.map((l) => Number(l.trim())));
      } else expect(r.error.startsWith(`fuzz:${firstBad + 1}: expected a label 0..9`)).toBe(true);
    },
    TIMEOUT,
  );
});

describe('fuzzing the image folder', () => {
  // One entry of train_data/: a valid PNG of one gray level, a file of junk named .png, a folder
  // named .png (not an image), a dangling link named .png, or another file (ignored).
  const entry = fc.oneof(
    { weight: 5, arbitrary: fc.record({ kind: fc.constant('png' as const), gray: fc.nat(255) }) },
    {
      weight: 1,
      arbitrary: fc.record({
        kind: fc.constant('junk' as const),
        bytes: fc.uint8Array({ maxLength: 48 }),
      }),
    },
    { weight: 1, arbitrary: fc.constantFrom({ kind: 'dir' as const }, { kind: 'link' as const }) },
    { weight: 1, arbitrary: fc.constant({ kind: 'other' as const }) },
  );
  const layout = fc.record({
    entries: fc.array(fc.record({ entry, pad: fc.boolean() }), { maxLength: 6 }),
    // Labels one short, as many as the images, or one too many.
    extra: fc.integer({ min: -1, max: 1 }),
  });

  test.prop([layout], { numRuns: RUNS })(
    'a folder loads exactly its PNGs in natural order with their labels, or a DataError names it',
    async ({ entries, extra }) => {
      const root = mkdtempSync(join(tmpdir(), 'difftape-fuzz-images-'));
      try {
        const train = join(root, LAYOUT.train.images);
        const test = join(root, LAYOUT.test.images);
        mkdirSync(train, { recursive: true });
        mkdirSync(test, { recursive: true });
        mkdirSync(join(root, 'labels'));
        // Shuffled creation order; names sort by number whether or not they are zero-padded.
        const counted: { gray: number | undefined; label: number }[] = [];
        entries.forEach(({ entry: e, pad }, i) => {
          const name = `${pad ? String(i).padStart(3, '0') : i}.png`;
          const path = join(train, name);
          if (e.kind === 'png')
            writeFileSync(path, encodeDigitPng(new Uint8Array(784).fill(e.gray)));
          else if (e.kind === 'junk') writeFileSync(path, e.bytes);
          else if (e.kind === 'dir') mkdirSync(path);
          else if (e.kind === 'link') symlinkSync(join(root, 'missing.png'), path);
          else writeFileSync(join(train, `${i}.txt`), 'not an image');
          if (e.kind === 'png' || e.kind === 'junk' || e.kind === 'link')
            counted.push({ gray: e.kind === 'png' ? e.gray : undefined, label: i % 10 });
        });
        const labels = counted.map((c) => c.label);
        if (extra < 0) labels.pop();
        if (extra > 0) labels.push(3);
        writeFileSync(join(root, LAYOUT.train.labels), labels.map((l) => `${l}\n`).join(''));
        writeFileSync(join(test, '0.png'), encodeDigitPng(new Uint8Array(784).fill(7)));
        writeFileSync(join(root, LAYOUT.test.labels), '7\n');

        let splits: Awaited<ReturnType<typeof loadImageDir>>;
        try {
          splits = await loadImageDir(root);
        } catch (err) {
          expect(err).toBeInstanceOf(DataError);
          expect((err as Error).message).toContain(root);
          // Refused only for a reason: a count mismatch, or a counted entry that is no PNG.
          expect(
            labels.length !== counted.length || counted.some((c) => c.gray === undefined),
          ).toBe(true);
          return;
        }
        expect(labels.length).toBe(counted.length);
        expect(counted.every((c) => c.gray !== undefined)).toBe(true);
        expect(Array.from(splits.train.labels)).toEqual(labels);
        const expected = new Uint8Array(counted.length * 784);
        counted.forEach((c, k) => {
          expected.fill(c.gray!, k * 784, (k + 1) * 784);
        });
        expect(Buffer.from(splits.train.images).equals(Buffer.from(expected))).toBe(true);
        expect(Array.from(splits.test.labels)).toEqual([7]);
      } finally {
        rmSync(root, { recursive: true, force: true });
      }
    },
    TIMEOUT,
  );
});
