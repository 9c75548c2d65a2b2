import { deflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { DataError } from '../src/data-error.js';
import { decodeDigitPng } from '../src/digit-png.js';
import { checkPng, pixelDataBytes } from '../src/png-check.js';
import { chunk, grayPng, grayScanlines, ihdr, pngOf } from './png-helpers.js';

const size = { rows: 2, cols: 3 };
const pixels = Uint8Array.from([0, 50, 100, 150, 200, 250]);
const scanlines = grayScanlines(pixels, 2, 3);

/** What `decodeDigitPng` throws for `bytes`, as a DataError (fails the test otherwise). */
const errorOf = (bytes: Uint8Array, s = size): string => {
  try {
    decodeDigitPng(bytes, 'x.png', s);
  } catch (e) {
    expect(e).toBeInstanceOf(DataError);
    return (e as Error).message;
  }
  throw new Error('expected decodeDigitPng to throw');
};

describe('checkPng', () => {
  it('accepts a hand-built PNG, which decodes to its pixels', () => {
    expect(checkPng(grayPng(pixels, 2, 3), 'x.png', size)).toMatchObject({ width: 3, height: 2 });
    expect(Array.from(decodeDigitPng(grayPng(pixels, 2, 3), 'x.png', size))).toEqual(
      Array.from(pixels),
    );
  });

  it('refuses a 16000 x 16000 IHDR from its header, without inflating the (huge) pixel data', () => {
    // 65 bytes that a decoder would try to inflate to 256 MB.
    const bomb = pngOf(
      ihdr(16000, 16000),
      chunk('IDAT', deflateSync(Buffer.alloc(0))),
      chunk('IEND'),
    );
    expect(errorOf(bomb, { rows: 28, cols: 28 })).toBe(
      'x.png: expected a 28x28 image (width x height), found 16000x16000',
    );
  });

  it.each([
    [
      'no IDAT',
      pngOf(ihdr(3, 2), chunk('IEND')),
      'x.png: no IDAT chunk: the file holds no pixel data',
    ],
    [
      'short pixel data',
      pngOf(ihdr(3, 2), chunk('IDAT', deflateSync(Buffer.alloc(5))), chunk('IEND')),
      'x.png: its pixel data is short: 5 of the 8 bytes a 3x2 image needs',
    ],
    [
      'too much pixel data (a deflate bomb)',
      pngOf(ihdr(3, 2), chunk('IDAT', deflateSync(Buffer.alloc(1 << 20))), chunk('IEND')),
      'x.png: its pixel data inflates to more than the 8 bytes a 3x2 image needs',
    ],
    [
      'a truncated zlib stream',
      pngOf(ihdr(3, 2), chunk('IDAT', scanlines.subarray(0, 6)), chunk('IEND')),
      /^x\.png: its pixel data is not a complete zlib stream \(unexpected end of file\)$/,
    ],
    [
      'no IEND',
      pngOf(ihdr(3, 2), chunk('IDAT', scanlines)),
      'x.png: ends without an IEND chunk (truncated?)',
    ],
    [
      'a chunk longer than the file',
      pngOf(ihdr(3, 2), chunk('IDAT', scanlines)).subarray(0, 45),
      /^x\.png: chunk IDAT at byte 33 declares \d+ bytes of data, only 0 remain$/,
    ],
    [
      'IDAT chunks split by another chunk',
      pngOf(
        ihdr(3, 2),
        chunk('IDAT', scanlines.subarray(0, 4)),
        chunk('tEXt', Buffer.from('a\0b')),
        chunk('IDAT', scanlines.subarray(4)),
        chunk('IEND'),
      ),
      'x.png: its IDAT chunks are not consecutive (the PNG spec requires one run of them)',
    ],
    [
      'IHDR not first',
      pngOf(chunk('tEXt', Buffer.from('a\0b')), ihdr(3, 2), chunk('IEND')),
      'x.png: expected a 13-byte IHDR chunk first, found tEXt of 3 bytes',
    ],
    [
      'a palette image',
      pngOf(ihdr(3, 2, 8, 3), chunk('IEND')),
      'x.png: expected an 8-bit grayscale, gray+alpha, RGB or RGBA PNG, found colour type 3 at 8 bits',
    ],
    [
      'an unknown compression method',
      pngOf(chunk('IHDR', Buffer.from([0, 0, 0, 3, 0, 0, 0, 2, 8, 0, 1, 0, 0])), chunk('IEND')),
      'x.png: IHDR: expected compression 0, filter 0 and interlace 0 or 1, found 1, 0, 0',
    ],
    [
      'a bad filter type byte',
      pngOf(
        ihdr(3, 2),
        chunk('IDAT', deflateSync(Buffer.from([9, 1, 2, 3, 0, 4, 5, 6]))),
        chunk('IEND'),
      ),
      /^x\.png: not a readable PNG \(Unrecognised filter type - 9\)$/,
    ],
  ])('refuses %s, naming the file', (_, bytes, message) => {
    const m = errorOf(bytes);
    if (typeof message === 'string') expect(m).toBe(message);
    else expect(m).toMatch(message);
  });

  it('is a pure function: short pixel data gives the same error every time, never made-up pixels', () => {
    const short = pngOf(ihdr(3, 2), chunk('IDAT', deflateSync(Buffer.alloc(7))), chunk('IEND'));
    const first = errorOf(short);
    // Dirty the allocator's pool between decodes: uninitialised memory would now differ.
    for (let i = 0; i < 4; i++) {
      Buffer.allocUnsafe(4096).fill(i * 60 + 7);
      expect(errorOf(short)).toBe(first);
    }
  });

  it('counts the bytes of interlaced pixel data pass by pass (Adam7)', () => {
    const header = { width: 3, height: 2, depth: 8, colorType: 2, interlaced: true };
    // Passes of a 3x2 image: 1 (1x1), 2 empty, 3 empty, 4 (1x1), 5 empty, 6 (1x1), 7 (3x1).
    expect(pixelDataBytes(header)).toBe(4 + 4 + 4 + 10);
    expect(pixelDataBytes({ ...header, interlaced: false })).toBe(2 * (1 + 9));
  });
});
