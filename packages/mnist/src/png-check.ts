import { inflateSync } from 'node:zlib';
import { DataError } from './data-error.js';

/**
 * Checks a PNG's structure before any pixel is decoded: the signature, the chunk layout, the IHDR
 * (so a PNG declaring 16000 × 16000 pixels is refused from its first 33 bytes), and the pixel data
 * (IDAT), which must inflate to exactly the bytes its IHDR needs. After this, the decoder reads
 * only bytes the file determines: missing or short pixel data never reaches it (pngjs would read
 * uninitialised memory), and a deflate bomb stops one byte past the declared size.
 * See https://www.w3.org/TR/png-3/ (sections 5 and 11).
 */

/** The fields of a PNG's IHDR chunk. */
export interface PngHeader {
  readonly width: number;
  readonly height: number;
  readonly depth: number;
  readonly colorType: number;
  readonly interlaced: boolean;
}

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** Channels per pixel of each colour type this package decodes (8-bit gray, gray+alpha, RGB, RGBA). */
const CHANNELS: Partial<Record<number, number>> = { 0: 1, 4: 2, 2: 3, 6: 4 };

/** One chunk: its type and where its data lies in the file. */
interface Chunk {
  readonly type: string;
  readonly start: number;
  readonly length: number;
}

const chunksOf = (bytes: Uint8Array, fail: (what: string) => never): Chunk[] => {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const chunks: Chunk[] = [];
  let at = SIGNATURE.length;
  while (chunks.at(-1)?.type !== 'IEND') {
    if (at + 12 > bytes.length)
      fail(
        at === bytes.length
          ? 'ends without an IEND chunk (truncated?)'
          : `a chunk at byte ${at} needs 12 bytes of framing, ${bytes.length - at} remain (truncated?)`,
      );
    const length = view.getUint32(at, false);
    const type = String.fromCharCode(...bytes.subarray(at + 4, at + 8));
    if (!/^[A-Za-z]{4}$/.test(type)) fail(`byte ${at + 4}: expected a chunk type of 4 letters`);
    if (at + 12 + length > bytes.length)
      fail(
        `chunk ${type} at byte ${at} declares ${length} bytes of data, only ${bytes.length - at - 12} remain`,
      );
    chunks.push({ type, start: at + 8, length });
    at += 12 + length;
  }
  return chunks;
};

const readHeader = (bytes: Uint8Array, ihdr: Chunk, fail: (what: string) => never): PngHeader => {
  if (ihdr.type !== 'IHDR' || ihdr.length !== 13)
    fail(`expected a 13-byte IHDR chunk first, found ${ihdr.type} of ${ihdr.length} bytes`);
  const view = new DataView(bytes.buffer, bytes.byteOffset + ihdr.start, 13);
  const [depth, colorType, compression, filter, interlace] = bytes.subarray(
    ihdr.start + 8,
    ihdr.start + 13,
  );
  if (compression !== 0 || filter !== 0 || (interlace !== 0 && interlace !== 1))
    fail(
      `IHDR: expected compression 0, filter 0 and interlace 0 or 1, found ${compression}, ${filter}, ${interlace}`,
    );
  return {
    width: view.getUint32(0, false),
    height: view.getUint32(4, false),
    depth: depth!,
    colorType: colorType!,
    interlaced: interlace === 1,
  };
};

// Adam7: each pass's first column and row and its steps (PNG spec, section 8.2).
const ADAM7 = [
  [0, 0, 8, 8],
  [4, 0, 8, 8],
  [0, 4, 4, 8],
  [2, 0, 4, 4],
  [0, 2, 2, 4],
  [1, 0, 2, 2],
  [0, 1, 1, 2],
] as const;

/** The filtered scanline bytes (one filter byte per row) an image of this header inflates to. */
export const pixelDataBytes = (h: PngHeader): number => {
  const bytesPerPixel = ((CHANNELS[h.colorType] ?? 1) * h.depth) / 8;
  const image = (w: number, rows: number) => (w === 0 ? 0 : rows * (1 + w * bytesPerPixel));
  if (!h.interlaced) return image(h.width, h.height);
  return ADAM7.reduce(
    (sum, [x0, y0, dx, dy]) =>
      sum + image(Math.ceil((h.width - x0) / dx), Math.ceil((h.height - y0) / dy)),
    0,
  );
};

/** The expected image size, in the form errors show it. */
export type ExpectedSize = { readonly rows: number; readonly cols: number };

/**
 * Checks `bytes` as an 8-bit non-palette PNG of exactly `size` pixels with complete pixel data,
 * or throws a `DataError` naming `name` and what is wrong. Returns the IHDR's fields.
 */
export const checkPng = (bytes: Uint8Array, name: string, size: ExpectedSize): PngHeader => {
  const fail = (what: string): never => {
    throw new DataError(`${name}: ${what}`);
  };
  if (bytes.length < SIGNATURE.length || SIGNATURE.some((b, i) => bytes[i] !== b))
    fail('not a PNG file (expected the 8-byte PNG signature)');
  const chunks = chunksOf(bytes, fail);
  const header = readHeader(bytes, chunks[0]!, fail);
  const { width, height, depth, colorType } = header;
  if (depth !== 8 || CHANNELS[colorType] === undefined)
    fail(
      `expected an 8-bit grayscale, gray+alpha, RGB or RGBA PNG, found colour type ${colorType} at ${depth} bits`,
    );
  if (width !== size.cols || height !== size.rows)
    fail(`expected a ${size.cols}x${size.rows} image (width x height), found ${width}x${height}`);
  // pngjs zeroes every pixel that matches a tRNS colour key, which would silently change the digit.
  if (chunks.some((c) => c.type === 'tRNS'))
    fail('PNGs with a tRNS transparency key are not supported');
  const idats = chunks.flatMap((c, i) => (c.type === 'IDAT' ? [i] : []));
  if (idats.length === 0) fail('no IDAT chunk: the file holds no pixel data');
  if (idats.at(-1)! - idats[0]! !== idats.length - 1)
    fail('its IDAT chunks are not consecutive (the PNG spec requires one run of them)');
  const compressed = Buffer.concat(
    idats.map((i) => bytes.subarray(chunks[i]!.start, chunks[i]!.start + chunks[i]!.length)),
  );
  const expected = pixelDataBytes(header);
  let inflated: Buffer;
  try {
    inflated = inflateSync(compressed, {
      maxOutputLength: expected,
      chunkSize: Math.max(64, expected + 1),
    });
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE'
      ? fail(
          `its pixel data inflates to more than the ${expected} bytes a ${width}x${height} image needs`,
        )
      : fail(`its pixel data is not a complete zlib stream (${(e as Error).message})`);
  }
  if (inflated.length !== expected)
    fail(
      `its pixel data is short: ${inflated.length} of the ${expected} bytes a ${width}x${height} image needs`,
    );
  return header;
};
