import { PNG } from 'pngjs';
import { DataError } from './data-error.js';
import { checkPng } from './png-check.js';

/** Image height and width in pixels. */
export type ImageSize = { readonly rows: number; readonly cols: number };

/** The MNIST digit size, 28 × 28. */
export const MNIST_SIZE: ImageSize = { rows: 28, cols: 28 };

/** The largest PNG file read: room for uncompressed RGBA pixels and a generous share of metadata. */
export const maxPngBytes = (size: ImageSize): number => 2 ** 20 + 5 * size.rows * size.cols;

// ITU-R BT.601 luma in integer arithmetic, so a gray pixel (r = g = b = v) maps back to v exactly.
const luma = (r: number, g: number, b: number): number =>
  Math.floor((299 * r + 587 * g + 114 * b + 500) / 1000);

/**
 * Decodes one digit PNG to rows × cols bytes (default 28 × 28). Accepts 8-bit grayscale,
 * gray+alpha, RGB and RGBA; colour pixels become their BT.601 luma (rounded), gray ones stay as
 * they are, and alpha is ignored. The file's structure, size and pixel data are checked before it
 * is decoded (`checkPng`), so decoding is a pure function of the bytes. Errors (`DataError`) name
 * the file.
 */
export const decodeDigitPng = (
  bytes: Uint8Array,
  name: string,
  size: ImageSize = MNIST_SIZE,
): Uint8Array => {
  const { width, height, colorType } = checkPng(bytes, name, size);
  let rgba: Buffer;
  try {
    rgba = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)).data;
  } catch (e) {
    throw new DataError(`${name}: not a readable PNG (${(e as Error).message})`, { cause: e });
  }
  // pngjs always hands back RGBA, 4 bytes per pixel.
  const out = new Uint8Array(width * height);
  const color = colorType === 2 || colorType === 6;
  for (let p = 0; p < out.length; p++) {
    const r = rgba[4 * p]!;
    out[p] = color ? luma(r, rgba[4 * p + 1]!, rgba[4 * p + 2]!) : r;
  }
  return out;
};

/** Encodes rows × cols gray bytes as an 8-bit grayscale PNG (the format `exportImages` writes). */
export const encodeDigitPng = (pixels: Uint8Array, size: ImageSize = MNIST_SIZE): Buffer => {
  if (pixels.length !== size.rows * size.cols) {
    throw new RangeError(
      `encodeDigitPng: expected ${size.rows * size.cols} bytes for ${size.rows}x${size.cols}, got ${pixels.length}`,
    );
  }
  const png = new PNG({ width: size.cols, height: size.rows });
  png.data = Buffer.from(pixels.buffer, pixels.byteOffset, pixels.byteLength);
  return PNG.sync.write(png, {
    colorType: 0,
    inputColorType: 0,
    inputHasAlpha: false,
    bitDepth: 8,
  });
};
