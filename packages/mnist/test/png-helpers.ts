import { deflateSync } from 'node:zlib';

/** Hand-built PNG files, chunk by chunk, for tests of the PNG checks (valid CRCs included). */

const CRC_TABLE = Uint32Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

const crc32 = (bytes: Uint8Array): number => {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
};

/** One chunk: length, type, data, CRC over type and data. */
export const chunk = (type: string, data: Uint8Array = new Uint8Array(0)): Buffer => {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'latin1');
  out.set(data, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
};

/** An IHDR chunk. */
export const ihdr = (width: number, height: number, depth = 8, colorType = 0, interlace = 0) => {
  const data = Buffer.alloc(13);
  data.writeUInt32BE(width, 0);
  data.writeUInt32BE(height, 4);
  data.set([depth, colorType, 0, 0, interlace], 8);
  return chunk('IHDR', data);
};

/** The signature followed by `chunks`. */
export const pngOf = (...chunks: Uint8Array[]): Buffer =>
  Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), ...chunks]);

/** Unfiltered (filter byte 0) scanlines of gray pixels, `rows` × `cols`, deflated. */
export const grayScanlines = (pixels: Uint8Array, rows: number, cols: number): Buffer => {
  const raw = Buffer.alloc(rows * (cols + 1));
  for (let r = 0; r < rows; r++)
    raw.set(pixels.subarray(r * cols, (r + 1) * cols), r * (cols + 1) + 1);
  return deflateSync(raw);
};

/** A complete 8-bit grayscale PNG of `pixels`. */
export const grayPng = (pixels: Uint8Array, rows: number, cols: number): Buffer =>
  pngOf(ihdr(cols, rows), chunk('IDAT', grayScanlines(pixels, rows, cols)), chunk('IEND'));
