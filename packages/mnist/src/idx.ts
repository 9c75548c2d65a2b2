import { constants, gunzipSync } from 'node:zlib';
import { DataError } from './data-error.js';

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

/** The largest IDX file (header and payload) the loaders inflate or read unless told otherwise. */
export const MAX_IDX_BYTES = 2 ** 27;

/** The dimensions an IDX header declares and the header's length in bytes. */
interface IdxHeader {
  readonly dims: number[];
  readonly headerBytes: number;
  /** Header plus payload: what the whole file must hold. */
  readonly totalBytes: number;
}

const failer =
  (name: string) =>
  (what: string): never => {
    throw new DataError(`idx: ${name}: ${what}`);
  };

/** Reads and checks the header at the start of `bytes` (which may hold only the header). */
const parseIdxHeader = (bytes: Uint8Array, name: string, rank?: 1 | 3): IdxHeader => {
  const fail = failer(name);
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
  const headerBytes = 4 + 4 * ndims;
  if (bytes.length < headerBytes) {
    fail(
      `expected a ${headerBytes}-byte header for ${ndims} dimensions, found only ${bytes.length} bytes`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dims = Array.from({ length: ndims }, (_, i) => view.getUint32(4 + 4 * i, false));
  return { dims, headerBytes, totalBytes: headerBytes + product(dims) };
};

const payloadName = (dims: readonly number[]): string => (dims.length === 3 ? 'pixels' : 'labels');

/**
 * Parses an unsigned-byte IDX file with 1 or 3 dimensions (labels or images). `name` goes into
 * every error (a `DataError`); `rank`, when given, is the number of dimensions the caller expects.
 */
export const parseIdx = (bytes: Uint8Array, name: string, rank?: 1 | 3): Idx => {
  const { dims, headerBytes, totalBytes } = parseIdxHeader(bytes, name, rank);
  const found = bytes.length - headerBytes;
  if (bytes.length !== totalBytes) {
    failer(name)(
      `expected ${totalBytes - headerBytes} bytes of ${payloadName(dims)} after the header (dims ${dims.join('x')}), found ${found}`,
    );
  }
  return { dims, data: new Uint8Array(bytes.buffer, bytes.byteOffset + headerBytes, found) };
};

/** The longest gzip prefix searched for the IDX header (legitimate files need a few dozen bytes). */
const MAX_HEADER_SEARCH = 2 ** 16;

const gunzipError = (name: string, e: unknown): DataError =>
  new DataError(
    `idx: ${name}: expected a gzip-compressed file, could not gunzip it (${(e as Error).message})`,
    { cause: e },
  );

/** How many bytes the header starting `head` needs to be checked (4 until the rank is known). */
const headerNeeds = (head: Uint8Array): number =>
  head.length >= 4 && (head[3] === 1 || head[3] === 3) ? 4 + 4 * head[3] : 4;

/**
 * The IDX header of a gzip file, from inflating growing prefixes of it: a prefix of n compressed
 * bytes inflates to at most about 1032·n bytes, so a bomb cannot inflate far before the header is
 * known.
 */
const gzipHeader = (gz: Uint8Array, name: string, rank?: 1 | 3): IdxHeader => {
  for (let n = 64; ; n *= 2) {
    let head: Buffer;
    try {
      head = gunzipSync(gz.subarray(0, n), { finishFlush: constants.Z_SYNC_FLUSH });
    } catch (e) {
      throw gunzipError(name, e);
    }
    if (head.length >= headerNeeds(head) || n >= gz.length) return parseIdxHeader(head, name, rank);
    if (n >= MAX_HEADER_SEARCH)
      failer(name)(
        `no IDX header in the first ${MAX_HEADER_SEARCH} bytes of the gzip file (${head.length} bytes inflated)`,
      );
  }
};

/**
 * Gunzips `gz` and parses it with `parseIdx`; errors (`DataError`) name the file. The inflated
 * size is bounded by what the header declares, itself at most `maxBytes`: a gzip bomb stops
 * there instead of filling memory.
 */
export const parseIdxGz = (
  gz: Uint8Array,
  name: string,
  rank?: 1 | 3,
  maxBytes: number = MAX_IDX_BYTES,
): Idx => {
  const header = gzipHeader(gz, name, rank);
  const { dims, totalBytes } = header;
  if (totalBytes > maxBytes)
    failer(name)(
      `its header declares dims ${dims.join('x')} (${totalBytes} bytes), more than the ${maxBytes}-byte limit`,
    );
  let raw: Buffer;
  try {
    // One output buffer one byte longer than declared: a legitimate file never needs a second
    // buffer (nor a copy), and one byte more than declared stops inflating.
    raw = gunzipSync(gz, { maxOutputLength: totalBytes, chunkSize: Math.max(64, totalBytes + 1) });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE')
      failer(name)(
        `inflates to more than the ${totalBytes} bytes its header declares (dims ${dims.join('x')})`,
      );
    throw gunzipError(name, e);
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
