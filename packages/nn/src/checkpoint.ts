import {
  checkParamShapes,
  fromFlat,
  isPlainObject,
  Matrix,
  showValue,
  type Tree,
  toFlat,
} from '@difftape/core';
import { sha256 } from '@noble/hashes/sha2';
import { bytesToHex } from '@noble/hashes/utils';
import { isLeft } from 'fp-ts/lib/Either.js';
import type * as t from 'io-ts';
import { decodeOrThrow, decodeWith } from './decode.js';
import {
  CHECKPOINT_FORMAT,
  CHECKPOINT_VERSION,
  checkJson,
  checkJsonShape,
  decodeNode,
  encodeNode,
  LEGACY_VERSION,
  LegacyManifest,
  MAX_MANIFEST_DEPTH,
  Manifest,
  type ParamNode,
  refsOf,
  type StateNode,
  type TensorRef,
} from './manifest.js';
import {
  type Dtype,
  encodeSafetensors,
  headerLength,
  parseSafetensorsHeader,
  readTensor,
  type SafetensorsHeader,
  type TensorEntry,
  type TensorToWrite,
} from './safetensors.js';
import { ModelSpec, needsImageShape } from './spec.js';
import { specInputShape, specParamShapes } from './spec-shapes.js';

/**
 * A checkpoint is one safetensors file: every matrix is a tensor (parameters under `params/`,
 * optimiser state under `opt/`), and the header's `__metadata__` holds the manifest (JSON: trees,
 * spec, meta, scalars) and a SHA-256 over the manifest and every tensor's bytes, so nothing a
 * loader reads goes unchecked. This module only turns checkpoints into bytes and back (it runs in a
 * browser); `@difftape/nn/node` reads and writes files.
 */

/** What `encodeCheckpoint` stores. `optimiserState` may hold matrices, numbers, strings, ... */
export interface Checkpoint {
  readonly params: Tree;
  readonly optimiserState?: unknown;
  readonly spec?: ModelSpec;
  readonly meta?: Record<string, unknown>;
}

/** A decoded checkpoint; `dtype` is the stored precision (values are float64 again). */
export interface LoadedCheckpoint<M = Record<string, unknown>> {
  readonly params: Tree;
  readonly optimiserState: unknown;
  readonly spec: ModelSpec | undefined;
  readonly meta: M;
  readonly dtype: Dtype;
}

/** How to decode: `meta` validates the meta record; non-finite parameters are refused unless allowed. */
export interface DecodeOptions<M = Record<string, unknown>> {
  readonly meta?: t.Decoder<unknown, M>;
  readonly allowNonFinite?: boolean;
}

/** A checkpoint that cannot be written or read; the message says which and what is wrong. */
export class CheckpointError extends Error {
  override readonly name = 'CheckpointError';
}

/** The `__metadata__` keys of a one-file checkpoint. */
const META = { format: 'format', manifest: 'manifest', sha256: 'sha256' } as const;

const utf8 = new TextEncoder();

/** Encodes `checkpoint` as the bytes of one safetensors file (readable by numpy and PyTorch). */
export const encodeCheckpoint = (
  checkpoint: Checkpoint,
  options: { dtype?: Dtype } = {},
): Uint8Array => {
  const dtype = options.dtype ?? 'F64';
  if (dtype !== 'F64' && dtype !== 'F32')
    throw new CheckpointError(`checkpoint: dtype must be F64 or F32, got ${showValue(dtype)}`);
  const fail =
    (what: string) =>
    (at: string, message: string): never => {
      throw new CheckpointError(`checkpoint: ${what}${at === '' ? '' : `.${at}`}: ${message}`);
    };
  const matrices = new Map<string, Matrix>();
  const params = encodeNode(checkpoint.params, '', 'params', matrices, fail('params')) as ParamNode;
  const optimiserState =
    checkpoint.optimiserState === undefined
      ? undefined
      : encodeNode(checkpoint.optimiserState, '', 'opt', matrices, fail('optimiserState'));
  const meta = checkpoint.meta ?? {};
  try {
    checkJson(meta, '');
  } catch (e) {
    throw new CheckpointError((e as Error).message);
  }
  let spec: t.OutputOf<typeof ModelSpec> | undefined;
  if (checkpoint.spec !== undefined) {
    const decoded = decodeOrThrow(ModelSpec, checkpoint.spec, 'checkpoint: spec');
    checkSpec(decoded, params, 'checkpoint');
    spec = ModelSpec.encode(decoded);
  }
  const manifest: t.OutputOf<typeof Manifest> = {
    format: CHECKPOINT_FORMAT,
    version: CHECKPOINT_VERSION,
    dtype,
    ...(spec === undefined ? {} : { spec }),
    meta,
    params,
    ...(optimiserState === undefined ? {} : { optimiserState }),
  };
  const text = JSON.stringify(manifest);
  const tensors: TensorToWrite[] = [...matrices].map(([name, m]) => ({
    name,
    dtype,
    shape: [m.rows, m.columns],
    data: toFlat(m),
  }));
  // The digest covers the manifest and the tensors' bytes in manifest order (the write order). It
  // goes first in `__metadata__`, so a placeholder of its length is overwritten in place.
  const placeholder = '0'.repeat(64);
  const out = encodeSafetensors(tensors, {
    [META.format]: CHECKPOINT_FORMAT,
    [META.sha256]: placeholder,
    [META.manifest]: text,
  });
  const bufferStart = 8 + Number(new DataView(out.buffer).getBigUint64(0, true));
  const digest = sha256.create().update(utf8.encode(text)).update(out.subarray(bufferStart));
  const at = 8 + DIGEST_OFFSET;
  if (new TextDecoder().decode(out.subarray(at, at + 64)) !== placeholder)
    throw new Error('checkpoint: the SHA-256 placeholder is not where expected');
  out.set(utf8.encode(bytesToHex(digest.digest())), at);
  return out;
};

/** Where the digest's hex starts in the header text written above. */
const DIGEST_OFFSET = `{"__metadata__":{"format":${JSON.stringify(CHECKPOINT_FORMAT)},"sha256":"`
  .length;

/** The trees of a manifest, whichever version, and how to check the bytes it came with. */
interface Contents {
  readonly params: ParamNode;
  readonly optimiserState: StateNode | undefined;
  readonly spec: ModelSpec | undefined;
  readonly meta: Record<string, unknown>;
  readonly dtype: Dtype;
}

/** A checkpoint whose header and manifest were checked; its tensors are not read yet. */
export interface CheckpointPlan {
  readonly what: string;
  readonly contents: Contents;
  /** Every tensor the manifest names, with its tree path, in manifest order. */
  readonly tensors: readonly { ref: TensorRef; path: string; entry: TensorEntry }[];
  /** One-file: the manifest's text, hashed with the tensors. Two-file: the whole file's sum. */
  readonly integrity:
    | { readonly kind: 'embedded'; readonly manifestText: string; readonly sha256: string }
    | { readonly kind: 'legacy'; readonly sha256: string; readonly bytes: number };
}

/** A manifest's text from outside: where it came from, for messages. */
export interface ManifestText {
  readonly text: string;
  readonly what: string;
}

/**
 * Checks a checkpoint's safetensors header and its manifest (from `__metadata__`, or `legacy` for
 * a two-file checkpoint) against each other before any tensor is read: the manifest's shape, its
 * depth and keys, every tensor's name, dtype and shape, and the model spec against the tensors.
 */
export const planCheckpoint = (
  header: SafetensorsHeader,
  what: string,
  legacy?: ManifestText,
): CheckpointPlan => {
  const fail = (message: string): never => {
    throw new CheckpointError(`checkpoint: ${what}: ${message}`);
  };
  const { metadata } = header;
  const embedded = Object.hasOwn(metadata, META.manifest) ? metadata[META.manifest] : undefined;
  if (embedded === undefined && legacy === undefined) {
    fail(
      metadata.format === CHECKPOINT_FORMAT
        ? 'its header holds no manifest: it is a two-file checkpoint of an older version (load it from its file with loadCheckpoint, which reads the .json beside it)'
        : 'not a difftape checkpoint: its safetensors header has no difftape manifest',
    );
  }
  if (embedded !== undefined && metadata.format !== CHECKPOINT_FORMAT) {
    fail(`not a difftape checkpoint: its header's format is ${showValue(metadata.format)}`);
  }
  const source =
    embedded !== undefined
      ? { text: embedded, what: `${what}: manifest` }
      : (legacy as ManifestText);
  const json = parseManifest(source);
  let contents: Contents;
  let integrity: CheckpointPlan['integrity'];
  if (embedded !== undefined) {
    const m = decodeOrFail(Manifest, json, source.what);
    const digest = metadata[META.sha256];
    if (digest === undefined || !/^[0-9a-f]{64}$/.test(digest)) {
      fail(`its header's SHA-256 is ${showValue(digest)}, expected 64 hex digits`);
    }
    contents = { ...m, optimiserState: m.optimiserState, spec: m.spec };
    integrity = { kind: 'embedded', manifestText: embedded, sha256: digest as string };
  } else {
    const m = decodeOrFail(LegacyManifest, json, source.what);
    contents = {
      ...m,
      optimiserState: m.optimiserState,
      spec: m.spec,
      dtype: m.tensors.dtype,
    };
    integrity = { kind: 'legacy', sha256: m.tensors.sha256, bytes: m.tensors.bytes };
  }
  const tensors = matchTensors(header, contents, what);
  if (contents.spec !== undefined) checkSpec(contents.spec, contents.params, what);
  return { what, contents, tensors, integrity };
};

const parseManifest = ({ text, what }: ManifestText): unknown => {
  const fail = (message: string): never => {
    throw new CheckpointError(`checkpoint: ${what}: ${message}`);
  };
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    return fail(`not valid JSON: ${(e as Error).message}`);
  }
  checkJsonShape(json, MAX_MANIFEST_DEPTH, fail);
  if (isPlainObject(json) && json.format !== CHECKPOINT_FORMAT) {
    fail(`format is ${showValue(json.format)}, expected "${CHECKPOINT_FORMAT}"`);
  }
  const versions = [CHECKPOINT_VERSION, LEGACY_VERSION];
  if (isPlainObject(json) && !versions.includes(json.version as number)) {
    fail(
      `manifest version ${showValue(json.version)} is not supported ` +
        `(this reader reads versions ${LEGACY_VERSION} and ${CHECKPOINT_VERSION})`,
    );
  }
  return json;
};

const decodeOrFail = <A>(codec: t.Decoder<unknown, A>, value: unknown, what: string): A => {
  const result = decodeWith(codec, value, `checkpoint: ${what}`);
  if (isLeft(result)) throw new CheckpointError(result.left);
  return result.right;
};

/** Pairs every tensor the manifest names with its header entry; refuses any mismatch. */
const matchTensors = (
  header: SafetensorsHeader,
  contents: Contents,
  what: string,
): CheckpointPlan['tensors'] => {
  const refs: [TensorRef, string][] = [];
  refsOf(contents.params, 'params', refs);
  if (contents.optimiserState !== undefined)
    refsOf(contents.optimiserState, 'optimiserState', refs);
  const used = new Set<string>();
  const out = refs.map(([ref, path]) => {
    const fail = (message: string): never => {
      throw new CheckpointError(`checkpoint: ${what}: tensor "${ref.tensor}" (${path}) ${message}`);
    };
    const entry = header.entries.get(ref.tensor);
    if (entry === undefined) return fail('is named in the manifest but missing');
    if (used.has(ref.tensor)) fail('is named twice in the manifest');
    used.add(ref.tensor);
    if (entry.dtype !== contents.dtype)
      fail(`is ${entry.dtype}, the manifest says ${contents.dtype}`);
    const [rows, cols] = ref.shape;
    if (entry.shape.length !== 2 || entry.shape[0] !== rows || entry.shape[1] !== cols) {
      fail(`has shape [${entry.shape.join(', ')}], the manifest says [${rows}, ${cols}]`);
    }
    return { ref, path, entry };
  });
  const extra = [...header.entries.keys()].filter((name) => !used.has(name));
  if (extra.length > 0) {
    throw new CheckpointError(
      `checkpoint: ${what}: tensor${extra.length > 1 ? 's' : ''} ` +
        `${extra.map((n) => `"${n}"`).join(', ')} not named in the manifest`,
    );
  }
  return out;
};

/** Refuses a spec whose model would not have exactly the stored parameters' shapes. */
const checkSpec = (spec: ModelSpec, params: ParamNode, what: string): void => {
  const shapes = decodeNode(params, () => new Matrix(0, 0), true);
  const input = specInputShape(spec, shapes);
  if (input === undefined && needsImageShape(spec))
    throw new CheckpointError(
      `checkpoint: ${what}: the model spec has convolution or pooling layers but no "input" shape ([C, H, W])`,
    );
  try {
    // A spec without parameter layers needs no input shape: any will do.
    const expected = specParamShapes(spec, input ?? [1]);
    checkParamShapes(shapes, expected, 'params');
  } catch (e) {
    throw new CheckpointError(
      `checkpoint: ${what}: the model spec does not fit the stored parameters: ${(e as Error).message}`,
    );
  }
};

/**
 * Finishes a planned checkpoint with its buffer (the bytes after the header; `prefix` is the
 * length field and header, hashed for a two-file checkpoint): checks the SHA-256, builds the trees,
 * refuses non-finite parameters (naming tensor and index) and validates `meta` with its codec.
 */
export const completeCheckpoint = <M = Record<string, unknown>>(
  plan: CheckpointPlan,
  prefix: Uint8Array,
  buffer: Uint8Array,
  options: DecodeOptions<M> = {},
): LoadedCheckpoint<M> => {
  const { what, contents, integrity } = plan;
  const fail = (message: string): never => {
    throw new CheckpointError(`checkpoint: ${what}: ${message}`);
  };
  if (integrity.kind === 'embedded') {
    const hash = sha256.create().update(utf8.encode(integrity.manifestText));
    for (const { entry } of plan.tensors) hash.update(buffer.subarray(entry.begin, entry.end));
    const actual = bytesToHex(hash.digest());
    if (actual !== integrity.sha256) {
      fail(
        `SHA-256 of its manifest and tensors is ${actual}, its header says ${integrity.sha256}: ` +
          'the file was changed or damaged after it was saved',
      );
    }
  } else {
    const bytes = prefix.length + buffer.length;
    const actual = bytesToHex(sha256.create().update(prefix).update(buffer).digest());
    if (bytes !== integrity.bytes || actual !== integrity.sha256) {
      fail(
        `SHA-256 ${actual} (${bytes} bytes) does not match the manifest's ${integrity.sha256} ` +
          `(${integrity.bytes} bytes): the manifest belongs to another save (or a save was interrupted)`,
      );
    }
  }
  const matrices = new Map(
    plan.tensors.map(({ ref, path, entry }) => {
      const { data } = readTensor(buffer, entry);
      if (path.startsWith('params') && options.allowNonFinite !== true)
        checkFinite(data, ref, path, fail);
      return [ref.tensor, fromFlat(ref.shape[0], ref.shape[1], data)] as const;
    }),
  );
  // The plan lists every tensor the manifest refers to, so a miss here is a bug, not a bad file.
  const take = (ref: TensorRef): Matrix =>
    matrices.get(ref.tensor) ?? fail(`internal: tensor "${ref.tensor}" is not in the plan`);
  let meta = contents.meta as M;
  if (options.meta !== undefined) meta = decodeOrFail(options.meta, contents.meta, `${what}: meta`);
  return {
    params: decodeNode(contents.params, take) as Tree,
    optimiserState:
      contents.optimiserState === undefined ? undefined : decodeNode(contents.optimiserState, take),
    spec: contents.spec,
    meta,
    dtype: contents.dtype,
  };
};

const checkFinite = (
  data: Float64Array,
  ref: TensorRef,
  path: string,
  fail: (message: string) => never,
): void => {
  for (let i = 0; i < data.length; i++) {
    const x = data[i]!;
    if (Number.isFinite(x)) continue;
    const cols = ref.shape[1];
    fail(
      `parameter ${path} (tensor "${ref.tensor}") holds ${x} at index ${i} ` +
        `(row ${Math.floor(i / cols)}, column ${i % cols}): non-finite parameters are refused`,
    );
  }
};

/**
 * Decodes a checkpoint from the bytes of its file (fetched, read, ...). A two-file checkpoint of
 * an older version also needs `legacyManifest`, the bytes of its `.json`.
 */
export const decodeCheckpoint = <M = Record<string, unknown>>(
  bytes: Uint8Array,
  options: DecodeOptions<M> & { what?: string; legacyManifest?: Uint8Array } = {},
): LoadedCheckpoint<M> => {
  const what = options.what ?? 'checkpoint bytes';
  const n = headerLength(bytes.subarray(0, 8), bytes.length, what);
  const header = parseSafetensorsHeader(bytes.subarray(8, 8 + n), bytes.length - 8 - n, what);
  const legacy =
    options.legacyManifest === undefined
      ? undefined
      : { text: decodeText(options.legacyManifest, what), what: `${what} (manifest)` };
  const plan = planCheckpoint(header, what, legacy);
  return completeCheckpoint(
    plan,
    bytes.subarray(0, header.bufferStart),
    bytes.subarray(header.bufferStart),
    options,
  );
};

/** UTF-8 text, or a CheckpointError naming `what`. */
export const decodeText = (bytes: Uint8Array, what: string): string => {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new CheckpointError(`checkpoint: ${what}: not valid UTF-8 text`);
  }
};
