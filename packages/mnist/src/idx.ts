import { gunzipSync } from 'node:zlib';

/**
 * The IDX format of the MNIST files, unsigned-byte variant only: a 4-byte magic (two zero bytes,
 * the type code 0x08, the number of dimensions), one big-endian uint32 per dimension, then the
 * payload in row-major order. See http://yann.lecun.com/exdb/mnist/ (section "File formats").
 */

/** A parsed IDX file: its dimensions and its payload (a view into the input, not a copy). */
export interface Idx {
  readonly dims: number[];
  readonly data: Uint8Array;
}

const UNSIGNED_BYTE = 0x08;
const TYPE_NAMES: Record<number, string> = {
  8: 'unsigned byte',
  9: 'signed byte',
  11: 'short',
  12: 'int',
  13: 'float',
  14: 'double',
};

const hex = (n: number, width: number): string => `0x${n.toString(16).padStart(width, '0')}`;
const product = (dims: readonly number[]): number => dims.reduce((a, b) => a * b, 1);

/**
 * Parses an unsigned-byte IDX file with 1 or 3 dimensions (labels or images). `name` goes into
 * every error; `rank`, when given, is the number of dimensions the caller expects.
 */
export const parseIdx = (bytes: Uint8Array, name: string, rank?: 1 | 3): Idx => {
  const fail = (what: string): never => {
    throw new Error(`idx: ${name}: ${what}`);
  };
  if (bytes.length < 4) fail(`expected at least 4 bytes of header, found ${bytes.length}`);
  const [z0, z1, type, ndims] = [bytes[0]!, bytes[1]!, bytes[2]!, bytes[3]!];
  if (z0 !== 0 || z1 !== 0) {
    const gz = z0 === 0x1f && z1 === 0x8b ? ' (the file is still gzip-compressed)' : '';
    fail(
      `expected the magic to start with bytes 0x00 0x00, found ${hex(z0, 2)} ${hex(z1, 2)}${gz}`,
    );
  }
  if (type !== UNSIGNED_BYTE) {
    const known = TYPE_NAMES[type] ? ` (${TYPE_NAMES[type]})` : '';
    fail(`expected type code 0x08 (unsigned byte), found ${hex(type, 2)}${known}`);
  }
  if (rank !== undefined && ndims !== rank) {
    fail(`expected magic ${hex(0x800 + rank, 8)}, got ${hex(0x800 + ndims, 8)}`);
  }
  if (ndims !== 1 && ndims !== 3) fail(`expected 1 or 3 dimensions, found ${ndims}`);
  const header = 4 + 4 * ndims;
  if (bytes.length < header) {
    fail(
      `expected a ${header}-byte header for ${ndims} dimensions, found only ${bytes.length} bytes`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dims = Array.from({ length: ndims }, (_, i) => view.getUint32(4 + 4 * i, false));
  const expected = product(dims);
  const found = bytes.length - header;
  if (found !== expected) {
    const what = ndims === 3 ? 'pixels' : 'labels';
    fail(
      `expected ${expected} bytes of ${what} after the header (dims ${dims.join('x')}), found ${found}`,
    );
  }
  return { dims, data: new Uint8Array(bytes.buffer, bytes.byteOffset + header, found) };
};

/** Gunzips `gz` and parses it with `parseIdx`; errors name the file. */
export const parseIdxGz = (gz: Uint8Array, name: string, rank?: 1 | 3): Idx => {
  let raw: Uint8Array;
  try {
    raw = gunzipSync(gz);
  } catch (e) {
    throw new Error(
      `idx: ${name}: expected a gzip-compressed file, could not gunzip it (${(e as Error).message})`,
    );
  }
  return parseIdx(raw, name, rank);
};

/** Encodes an unsigned-byte IDX file (for tests and tools); `data.length` must equal the product of `dims`. */
export const encodeIdx = (dims: readonly number[], data: Uint8Array): Uint8Array => {
  if (dims.length < 1 || dims.length > 255) {
    throw new RangeError(`encodeIdx: expected 1 to 255 dimensions, got ${dims.length}`);
  }
  dims.forEach((d, i) => {
    if (!Number.isInteger(d) || d < 0 || d > 0xffffffff) {
      throw new RangeError(`encodeIdx: dimension ${i} must be an integer in 0..2^32-1, got ${d}`);
    }
  });
  if (data.length !== product(dims)) {
    throw new RangeError(
      `encodeIdx: expected ${product(dims)} bytes for dims ${dims.join('x')}, got ${data.length}`,
    );
  }
  const header = 4 + 4 * dims.length;
  const out = new Uint8Array(header + data.length);
  const view = new DataView(out.buffer);
  out[2] = UNSIGNED_BYTE;
  out[3] = dims.length;
  dims.forEach((d, i) => {
    view.setUint32(4 + 4 * i, d, false);
  });
  out.set(data, header);
  return out;
};
