/**
 * The safetensors format (https://github.com/huggingface/safetensors): an 8-byte little-endian u64
 * header length N, N bytes of JSON header (padded with spaces to a multiple of 8), then the byte
 * buffer. The header maps tensor names to `{dtype, shape, data_offsets: [begin, end)}` relative to
 * the buffer, plus an optional `__metadata__` string → string map. Tensors are little-endian and
 * laid out contiguously, with no gaps and no trailing bytes. Reading never trusts a length before
 * checking it against the file's size.
 */

/** The dtypes this module reads and writes. */
export type Dtype = 'F64' | 'F32';

/** A tensor to write: float64 values in row-major order, stored as `dtype`. */
export interface TensorToWrite {
  readonly name: string;
  readonly dtype: Dtype;
  readonly shape: readonly number[];
  readonly data: Float64Array;
}

/** A tensor read back: values widened to float64, row-major. */
export interface DecodedTensor {
  readonly dtype: Dtype;
  readonly shape: number[];
  readonly data: Float64Array;
}

/** A decoded file: tensors in buffer order (empty ones by name), and the `__metadata__` map ({} if absent). */
export interface DecodedSafetensors {
  readonly tensors: Map<string, DecodedTensor>;
  readonly metadata: Record<string, string>;
}

/** The largest header this reader accepts, as in the reference implementation (100 MB). */
export const MAX_HEADER_BYTES = 100_000_000;

const METADATA_KEY = '__metadata__';

const BYTES: Record<Dtype, number> = { F64: 8, F32: 4 };

/** Dtypes of the format that this reader does not convert. */
const UNSUPPORTED = new Set([
  'BOOL',
  'U8',
  'I8',
  'U16',
  'I16',
  'U32',
  'I32',
  'U64',
  'I64',
  'F16',
  'BF16',
  'F8_E4M3',
  'F8_E5M2',
  'F8_E8M0',
  'F4',
  'F6_E2M3',
  'F6_E3M2',
  'C64',
]);

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

const isNonNegativeInt = (x: unknown): x is number =>
  typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;

/** The number of elements of `shape`, or undefined if it is not a safe integer. */
const elementCount = (shape: readonly number[]): number | undefined => {
  let n = 1;
  for (const d of shape) n *= d;
  return Number.isSafeInteger(n) ? n : undefined;
};

/** Encodes tensors (written in the given order) and optional metadata as a safetensors file. */
export const encodeSafetensors = (
  tensors: readonly TensorToWrite[],
  metadata?: Record<string, string>,
): Uint8Array => {
  // Entries in write order (a plain object would move integer-like names first).
  const header = new Map<string, unknown>();
  if (metadata !== undefined) {
    for (const [k, v] of Object.entries(metadata)) {
      if (typeof v !== 'string') {
        throw new TypeError(`safetensors: metadata "${k}" must be a string, got ${typeof v}`);
      }
    }
    header.set(METADATA_KEY, { ...metadata });
  }
  let offset = 0;
  for (const { name, dtype, shape, data } of tensors) {
    if (name === METADATA_KEY || header.has(name)) {
      throw new RangeError(`safetensors: tensor name "${name}" is reserved or used twice`);
    }
    if (!(dtype in BYTES))
      throw new RangeError(`safetensors: tensor "${name}": cannot write dtype ${dtype}`);
    if (!shape.every(isNonNegativeInt) || elementCount(shape) !== data.length) {
      throw new RangeError(
        `safetensors: tensor "${name}": shape [${shape.join(', ')}] does not hold ${data.length} values`,
      );
    }
    const end = offset + data.length * BYTES[dtype];
    header.set(name, { dtype, shape: [...shape], data_offsets: [offset, end] });
    offset = end;
  }
  const fields = [...header].map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`);
  const json = new TextEncoder().encode(`{${fields.join(',')}}`);
  const headerBytes = Math.ceil(json.length / 8) * 8;
  const out = new Uint8Array(8 + headerBytes + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(headerBytes), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + headerBytes);
  let at = 8 + headerBytes;
  for (const { dtype, data } of tensors) {
    if (dtype === 'F64' && LITTLE_ENDIAN) {
      // A byte copy keeps every bit, NaN payloads included.
      out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), at);
      at += data.byteLength;
    } else if (dtype === 'F64') {
      for (const x of data) {
        view.setFloat64(at, x, true);
        at += 8;
      }
    } else {
      for (const x of data) {
        view.setFloat32(at, Math.fround(x), true);
        at += 4;
      }
    }
  }
  return out;
};

/** A safetensors file that this reader refuses; the message names the file and what is wrong. */
export class SafetensorsError extends Error {
  override readonly name = 'SafetensorsError';
}

/** One tensor's header entry, checked against the buffer; offsets are relative to the buffer. */
export interface TensorEntry {
  readonly name: string;
  readonly dtype: Dtype;
  readonly shape: number[];
  readonly begin: number;
  readonly end: number;
}

/** A checked header: entries by name (tiling the buffer exactly) and the `__metadata__` map. */
export interface SafetensorsHeader {
  readonly entries: Map<string, TensorEntry>;
  readonly metadata: Record<string, string>;
  /** Where the buffer starts in the file: 8 + the header length. */
  readonly bufferStart: number;
  readonly bufferBytes: number;
}

const failer =
  (what: string) =>
  (message: string): never => {
    throw new SafetensorsError(`safetensors: ${what}: ${message}`);
  };

/**
 * The header length from the file's first 8 bytes, checked against the file's size `fileBytes`
 * and the header limit before anything of that length is read or allocated.
 */
export const headerLength = (first8: Uint8Array, fileBytes: number, what: string): number => {
  const fail = failer(what);
  if (fileBytes < 8 || first8.length < 8)
    fail(`file is ${fileBytes} bytes, shorter than the 8-byte header length`);
  const declared = new DataView(first8.buffer, first8.byteOffset, 8).getBigUint64(0, true);
  if (declared > BigInt(MAX_HEADER_BYTES)) {
    fail(`header length ${declared} exceeds the ${MAX_HEADER_BYTES}-byte limit`);
  }
  const n = Number(declared);
  if (8 + n > fileBytes)
    fail(`header length ${n} exceeds the ${fileBytes - 8} bytes after the length field`);
  return n;
};

/**
 * Parses and checks a header (the `headerBytes` after the length field) for a file whose buffer
 * holds `bufferBytes`: every entry well-formed, the entries tiling the buffer exactly.
 */
export const parseSafetensorsHeader = (
  headerBytes: Uint8Array,
  bufferBytes: number,
  what: string,
): SafetensorsHeader => {
  const fail = failer(what);
  const text = decodeUtf8(headerBytes, fail);
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (e) {
    return fail(`header is not valid JSON: ${(e as Error).message}`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) {
    fail('header is not a JSON object');
  }
  let metadata: Record<string, string> = {};
  const list: TensorEntry[] = [];
  for (const [name, info] of Object.entries(header as Record<string, unknown>)) {
    if (name === METADATA_KEY) metadata = checkMetadata(info, fail);
    else list.push(checkEntry(name, info, bufferBytes, fail));
  }
  checkLayout(list, bufferBytes, fail);
  const entries = new Map(list.map((e) => [e.name, e]));
  return { entries, metadata, bufferStart: 8 + headerBytes.length, bufferBytes };
};

/** A tensor's values from the file's buffer (`buffer` starts at the header's `bufferStart`). */
export const readTensor = (buffer: Uint8Array, entry: TensorEntry): DecodedTensor => ({
  dtype: entry.dtype,
  shape: entry.shape,
  data: readFloats(buffer, entry.dtype, entry.begin, entry.end),
});

/** Decodes a safetensors file; `what` (usually its path) starts every error message. */
export const decodeSafetensors = (bytes: Uint8Array, what: string): DecodedSafetensors => {
  const n = headerLength(bytes.subarray(0, 8), bytes.length, what);
  const header = parseSafetensorsHeader(bytes.subarray(8, 8 + n), bytes.length - 8 - n, what);
  const buffer = bytes.subarray(header.bufferStart);
  const tensors = new Map<string, DecodedTensor>();
  for (const entry of header.entries.values()) tensors.set(entry.name, readTensor(buffer, entry));
  return { tensors, metadata: header.metadata };
};

const decodeUtf8 = (bytes: Uint8Array, fail: (m: string) => never): string => {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return fail('header is not valid UTF-8');
  }
};

/** The metadata map, built with `fromEntries` so a `__proto__` key stays an ordinary key. */
const checkMetadata = (info: unknown, fail: (m: string) => never): Record<string, string> => {
  if (typeof info !== 'object' || info === null || Array.isArray(info)) {
    fail(`${METADATA_KEY} is not an object`);
  }
  const entries = Object.entries(info as object);
  for (const [k, v] of entries) {
    if (typeof v !== 'string') fail(`${METADATA_KEY}[${JSON.stringify(k)}] is not a string`);
  }
  return Object.fromEntries(entries) as Record<string, string>;
};

const checkEntry = (
  name: string,
  info: unknown,
  bufferBytes: number,
  fail: (m: string) => never,
): TensorEntry => {
  const where = `tensor "${name}"`;
  if (typeof info !== 'object' || info === null || Array.isArray(info))
    fail(`${where}: entry is not an object`);
  const { dtype, shape, data_offsets: offsets } = info as Record<string, unknown>;
  if (typeof dtype !== 'string') fail(`${where}: dtype is missing or not a string`);
  if (dtype !== 'F64' && dtype !== 'F32') {
    if (UNSUPPORTED.has(dtype as string))
      fail(`${where}: unsupported dtype ${dtype} (this reader reads F64 and F32)`);
    fail(`${where}: unknown dtype ${JSON.stringify(dtype)}`);
  }
  if (!Array.isArray(shape) || !shape.every(isNonNegativeInt)) {
    fail(`${where}: shape ${JSON.stringify(shape)} is not an array of non-negative integers`);
  }
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isNonNegativeInt)) {
    fail(
      `${where}: data_offsets ${JSON.stringify(offsets)} is not a pair of non-negative integers`,
    );
  }
  const [begin, end] = offsets as [number, number];
  if (begin > end || end > bufferBytes) {
    fail(`${where}: data_offsets [${begin}, ${end}] out of range for a ${bufferBytes}-byte buffer`);
  }
  const size = BYTES[dtype as Dtype];
  const count = elementCount(shape as number[]);
  if (count === undefined || count * size !== end - begin) {
    fail(
      `${where}: data_offsets [${begin}, ${end}] hold ${end - begin} bytes, but ${dtype} ` +
        `[${(shape as number[]).join(', ')}] needs ${count === undefined ? 'too many' : count * size}`,
    );
  }
  return { name, dtype: dtype as Dtype, shape: shape as number[], begin, end };
};

/** Requires the tensors to tile the buffer exactly: no overlap, no gap, no trailing bytes. */
const checkLayout = (
  entries: TensorEntry[],
  bufferBytes: number,
  fail: (m: string) => never,
): void => {
  entries.sort((a, b) => a.begin - b.begin || a.end - b.end || (a.name < b.name ? -1 : 1));
  let at = 0;
  let previous: string | undefined;
  for (const e of entries) {
    if (e.begin < at)
      fail(`tensor "${e.name}": data_offsets [${e.begin}, ${e.end}] overlap tensor "${previous}"`);
    if (e.begin > at)
      fail(`tensor "${e.name}": ${e.begin - at} unused bytes before it (at offset ${at})`);
    at = e.end;
    previous = e.name;
  }
  if (at !== bufferBytes) fail(`${bufferBytes - at} trailing bytes after the last tensor`);
};

const readFloats = (buffer: Uint8Array, dtype: Dtype, begin: number, end: number): Float64Array => {
  const n = (end - begin) / BYTES[dtype];
  const out = new Float64Array(n);
  if (dtype === 'F64' && LITTLE_ENDIAN) {
    // A byte copy into a fresh aligned buffer keeps every bit (`buffer` may be a pooled Buffer).
    new Uint8Array(out.buffer).set(buffer.subarray(begin, end));
    return out;
  }
  const view = new DataView(buffer.buffer, buffer.byteOffset + begin, end - begin);
  if (dtype === 'F64') for (let i = 0; i < n; i++) out[i] = view.getFloat64(8 * i, true);
  else for (let i = 0; i < n; i++) out[i] = view.getFloat32(4 * i, true);
  return out;
};
