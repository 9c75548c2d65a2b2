import { createHash } from 'node:crypto';
// The default import (not named imports) so tests can make one fs step fail with vi.spyOn.
import fs from 'node:fs';
import { dirname } from 'node:path';
import { fromFlat, Matrix, shapeString, type Tree, toFlat } from '@difftape/core';
import * as t from 'io-ts';
import { fsyncDir, writeTemp } from './atomic.js';
import { decodeOrThrow, exactObject, NonNegativeInt, showValue } from './decode.js';
import {
  type Dtype,
  decodeSafetensors,
  encodeSafetensors,
  type TensorToWrite,
} from './safetensors.js';
import { ModelSpec } from './spec.js';

/**
 * A checkpoint is two files: `<name>.safetensors` holds every matrix (parameters under `params/`,
 * optimiser state under `opt/`), and `<name>.json`, the manifest, holds everything else: the
 * trees' structure with tensor names, the model spec, `meta`, the optimiser state's non-matrix
 * leaves, and the SHA-256 of the tensors file so the two never pair up wrongly. Both are written
 * atomically (temp file, fsync, rename), tensors first, manifest last.
 */

/** The manifest's `format` field. */
export const CHECKPOINT_FORMAT = 'difftape-checkpoint';
/** The manifest version this module writes and reads. */
export const CHECKPOINT_VERSION = 1;

/** What `saveCheckpoint` stores. `optimiserState` may hold matrices, numbers, strings, ... */
export interface Checkpoint {
  readonly params: Tree;
  readonly optimiserState?: unknown;
  readonly spec?: ModelSpec;
  readonly meta?: Record<string, unknown>;
}

/** What `loadCheckpoint` returns; `dtype` is the stored precision (values are float64 again). */
export interface LoadedCheckpoint {
  readonly params: Tree;
  readonly optimiserState: unknown;
  readonly spec: ModelSpec | undefined;
  readonly meta: Record<string, unknown>;
  readonly dtype: Dtype;
}

/** A tensor's place in a tree: its name in the tensors file and its shape. */
export interface TensorRef {
  tensor: string;
  shape: [number, number];
}
/** A numbers leaf; non-finite values and -0 are strings since JSON has no literal for them. */
export type NumberValue = number | 'NaN' | 'Infinity' | '-Infinity' | '-0';
/** A parameter tree in the manifest. */
export type ParamNode =
  | TensorRef
  | { array: ParamNode[] }
  | { object: { [key: string]: ParamNode } };
/** An optimiser-state tree in the manifest: matrices, containers and JSON scalars. */
export type StateNode =
  | TensorRef
  | { array: StateNode[] }
  | { object: { [key: string]: StateNode } }
  | { number: NumberValue }
  | { string: string }
  | { boolean: boolean }
  | { null: true }
  | { undefined: true };

const isShapePair = (u: unknown): u is [number, number] =>
  Array.isArray(u) && u.length === 2 && u.every((d: unknown) => NonNegativeInt.is(d));

const Shape = new t.Type<[number, number], [number, number], unknown>(
  'a shape [rows, cols]',
  isShapePair,
  (u, c) => (isShapePair(u) ? t.success(u) : t.failure(u, c)),
  (a) => a,
);

const Tensor = exactObject(
  { tensor: t.string, shape: Shape },
  {},
  'a tensor node {"tensor", "shape"}',
);

const containers = <N>(self: t.Type<N, unknown>) => [
  exactObject({ array: t.array(self) }, {}, 'an array node {"array": [...]}'),
  exactObject({ object: t.record(t.string, self) }, {}, 'an object node {"object": {...}}'),
];

const ParamNode: t.Type<ParamNode, unknown> = t.recursion('a params node', (self) =>
  t.union([Tensor, ...containers(self)] as unknown as [t.Mixed, t.Mixed, ...t.Mixed[]]),
);

const NumberValue = t.union([
  t.number,
  t.keyof({ NaN: null, Infinity: null, '-Infinity': null, '-0': null }),
]);

const StateNode: t.Type<StateNode, unknown> = t.recursion('a state node', (self) =>
  t.union([
    Tensor,
    ...containers(self),
    exactObject({ number: NumberValue }, {}, 'a number node'),
    exactObject({ string: t.string }, {}, 'a string node'),
    exactObject({ boolean: t.boolean }, {}, 'a boolean node'),
    exactObject({ null: t.literal(true) }, {}, 'a null node'),
    exactObject({ undefined: t.literal(true) }, {}, 'an undefined node'),
  ] as unknown as [t.Mixed, t.Mixed, ...t.Mixed[]]),
);

const Sha256 = new t.Type<string, string, unknown>(
  'a SHA-256 hex digest',
  (u): u is string => typeof u === 'string' && /^[0-9a-f]{64}$/.test(u),
  (u, c) => (typeof u === 'string' && /^[0-9a-f]{64}$/.test(u) ? t.success(u) : t.failure(u, c)),
  (a) => a,
);

/** The manifest, `<name>.json`. */
export const Manifest = exactObject(
  {
    format: t.literal(CHECKPOINT_FORMAT),
    version: t.literal(CHECKPOINT_VERSION),
    tensors: exactObject(
      { sha256: Sha256, bytes: NonNegativeInt, dtype: t.keyof({ F64: null, F32: null }) },
      {},
      'an object {"sha256", "bytes", "dtype"}',
    ),
    meta: t.UnknownRecord,
    params: ParamNode,
  },
  { spec: ModelSpec, optimiserState: StateNode },
  'a checkpoint manifest object',
);
/** The manifest, `<name>.json`. */
export type Manifest = t.TypeOf<typeof Manifest>;

/** The two files of the checkpoint named by `path` (either `x.safetensors` or `x.json`). */
export const checkpointPaths = (path: string): { tensors: string; manifest: string } => {
  const base = path.endsWith('.safetensors')
    ? path.slice(0, -'.safetensors'.length)
    : path.endsWith('.json')
      ? path.slice(0, -'.json'.length)
      : undefined;
  if (base === undefined || base === '' || /[\\/]$/.test(base)) {
    throw new Error(
      `checkpoint: ${path}: expected a path ending in .safetensors (or its .json manifest)`,
    );
  }
  return { tensors: `${base}.safetensors`, manifest: `${base}.json` };
};

const joinPath = (prefix: string, key: string | number): string =>
  prefix === '' ? `${key}` : `${prefix}.${key}`;

const isPlainObject = (x: unknown): x is Record<string, unknown> =>
  typeof x === 'object' && x !== null && Object.getPrototypeOf(x) === Object.prototype;

const describe = (x: unknown): string =>
  Matrix.isMatrix(x)
    ? `a ${shapeString(x as Matrix)} matrix`
    : Array.isArray(x)
      ? `an array of ${x.length}`
      : isPlainObject(x)
        ? 'an object'
        : x === null
          ? 'null'
          : typeof x === 'object'
            ? `a ${x.constructor?.name ?? 'non-plain object'}`
            : `a ${typeof x}`;

/** Turns a tree into its manifest node, collecting its matrices as tensors named `prefix/path`. */
const encodeNode = (
  x: unknown,
  path: string,
  prefix: 'params' | 'opt',
  tensors: Map<string, Matrix>,
  fail: (path: string, message: string) => never,
): StateNode => {
  if (Matrix.isMatrix(x)) {
    const m = x as Matrix;
    const name = path === '' ? prefix : `${prefix}/${path}`;
    if (tensors.has(name))
      fail(path, `two leaves map to tensor name "${name}" (a key contains ".")`);
    tensors.set(name, m);
    return { tensor: name, shape: [m.rows, m.columns] };
  }
  if (Array.isArray(x)) {
    return { array: x.map((y, i) => encodeNode(y, joinPath(path, i), prefix, tensors, fail)) };
  }
  if (isPlainObject(x)) {
    const object: { [key: string]: StateNode } = {};
    for (const k of Object.keys(x).sort()) {
      object[k] = encodeNode(x[k], joinPath(path, k), prefix, tensors, fail);
    }
    return { object };
  }
  if (prefix === 'params') fail(path, `expected a Matrix, got ${describe(x)}`);
  if (typeof x === 'number') {
    const n: NumberValue = Object.is(x, -0)
      ? '-0'
      : Number.isFinite(x)
        ? x
        : (String(x) as NumberValue);
    return { number: n };
  }
  if (typeof x === 'string') return { string: x };
  if (typeof x === 'boolean') return { boolean: x };
  if (x === null) return { null: true };
  if (x === undefined) return { undefined: true };
  return fail(path, `cannot save ${describe(x)}`);
};

/** Throws, naming the path, unless `x` is plain JSON (finite numbers, no undefined, no classes). */
const checkJson = (x: unknown, path: string): void => {
  const bad = (what: string): never => {
    throw new TypeError(`checkpoint: meta${path === '' ? '' : `.${path}`}: ${what} is not JSON`);
  };
  if (typeof x === 'number') {
    if (!Number.isFinite(x)) bad(String(x));
  } else if (Array.isArray(x)) {
    for (let i = 0; i < x.length; i++) checkJson(x[i], joinPath(path, i));
  } else if (isPlainObject(x)) for (const k of Object.keys(x)) checkJson(x[k], joinPath(path, k));
  else if (x !== null && typeof x !== 'string' && typeof x !== 'boolean') bad(describe(x));
};

/** JSON indented by two spaces, with any value that fits in 100 columns kept on one line. */
const prettyJson = (x: unknown, indent: string): string => {
  const flat = JSON.stringify(x);
  if (indent.length + flat.length <= 100 || typeof x !== 'object' || x === null) return flat;
  const inner = `${indent}  `;
  if (Array.isArray(x))
    return `[\n${x.map((y) => inner + prettyJson(y, inner)).join(',\n')}\n${indent}]`;
  const fields = Object.entries(x).filter(([, v]) => v !== undefined);
  const lines = fields.map(([k, v]) => `${inner}${JSON.stringify(k)}: ${prettyJson(v, inner)}`);
  return `{\n${lines.join(',\n')}\n${indent}}`;
};

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

/**
 * Saves `checkpoint` as `<name>.safetensors` plus the manifest `<name>.json` (`path` names either).
 * An interrupted or failed save leaves no file under a final name half-written.
 */
export const saveCheckpoint = (
  path: string,
  checkpoint: Checkpoint,
  options: { dtype?: Dtype } = {},
): void => {
  const dtype = options.dtype ?? 'F64';
  if (dtype !== 'F64' && dtype !== 'F32')
    throw new Error(`checkpoint: dtype must be F64 or F32, got ${dtype}`);
  const paths = checkpointPaths(path);
  const fail =
    (what: string) =>
    (at: string, message: string): never => {
      throw new TypeError(`checkpoint: ${what}${at === '' ? '' : `.${at}`}: ${message}`);
    };
  const matrices = new Map<string, Matrix>();
  const params = encodeNode(checkpoint.params, '', 'params', matrices, fail('params')) as ParamNode;
  const optimiserState =
    checkpoint.optimiserState === undefined
      ? undefined
      : encodeNode(checkpoint.optimiserState, '', 'opt', matrices, fail('optimiserState'));
  const meta = checkpoint.meta ?? {};
  checkJson(meta, '');
  const spec =
    checkpoint.spec === undefined
      ? undefined
      : ModelSpec.encode(decodeOrThrow(ModelSpec, checkpoint.spec, 'checkpoint: spec'));

  const tensors: TensorToWrite[] = [...matrices].map(([name, m]) => ({
    name,
    dtype,
    shape: [m.rows, m.columns],
    data: toFlat(m),
  }));
  const bytes = encodeSafetensors(tensors, { format: CHECKPOINT_FORMAT });
  const manifest = {
    format: CHECKPOINT_FORMAT,
    version: CHECKPOINT_VERSION,
    tensors: { sha256: sha256(bytes), bytes: bytes.length, dtype },
    ...(spec === undefined ? {} : { spec }),
    meta,
    params,
    ...(optimiserState === undefined ? {} : { optimiserState }),
  };
  const manifestBytes = new TextEncoder().encode(`${prettyJson(manifest, '')}\n`);

  const temps: string[] = [];
  let stage = 'writing';
  try {
    temps.push(writeTemp(paths.tensors, bytes));
    temps.push(writeTemp(paths.manifest, manifestBytes));
    stage = 'renaming';
    fs.renameSync(temps[0]!, paths.tensors);
    temps.shift();
    stage = 'committing';
    fs.renameSync(temps[0]!, paths.manifest);
    temps.shift();
  } catch (e) {
    for (const temp of temps) fs.rmSync(temp, { force: true });
    const state =
      stage === 'committing'
        ? `${paths.tensors} was replaced but ${paths.manifest} was not, so loading reports a SHA-256 mismatch until the next save`
        : 'the previous checkpoint, if any, is untouched';
    throw new Error(
      `checkpoint: saving ${paths.tensors} failed (${state}): ${(e as Error).message}`,
      {
        cause: e,
      },
    );
  }
  fsyncDir(dirname(paths.tensors));
};

const readFile = (path: string): Uint8Array => {
  try {
    return fs.readFileSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new Error(
      `checkpoint: ${path}: ${code === 'ENOENT' ? 'no such file' : (e as Error).message}`,
    );
  }
};

/** Rebuilds a tree from its manifest node, taking each tensor (once) from `tensors`. */
const decodeNode = (
  node: StateNode,
  take: (ref: TensorRef, path: string) => Matrix,
  path: string,
): unknown => {
  if ('tensor' in node) return take(node, path);
  if ('array' in node) return node.array.map((n, i) => decodeNode(n, take, joinPath(path, i)));
  if ('object' in node) {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(node.object).sort())
      out[k] = decodeNode(node.object[k]!, take, joinPath(path, k));
    return out;
  }
  if ('number' in node) return typeof node.number === 'number' ? node.number : Number(node.number);
  if ('string' in node) return node.string;
  if ('boolean' in node) return node.boolean;
  if ('null' in node) return null;
  return undefined;
};

/**
 * Loads the checkpoint named by `path` (`x.safetensors` or `x.json`), checking the manifest's
 * shape, the tensors file's SHA-256, and that tensors and manifest name the same tensors.
 */
export const loadCheckpoint = (path: string): LoadedCheckpoint => {
  const paths = checkpointPaths(path);
  const manifestText = new TextDecoder().decode(readFile(paths.manifest));
  let json: unknown;
  try {
    json = JSON.parse(manifestText);
  } catch (e) {
    throw new Error(`checkpoint: ${paths.manifest}: not valid JSON: ${(e as Error).message}`);
  }
  if (isPlainObject(json) && json.format !== CHECKPOINT_FORMAT) {
    throw new Error(
      `checkpoint: ${paths.manifest}: format is ${showValue(json.format)}, expected "${CHECKPOINT_FORMAT}"`,
    );
  }
  if (isPlainObject(json) && json.version !== CHECKPOINT_VERSION) {
    throw new Error(
      `checkpoint: ${paths.manifest}: manifest version ${showValue(json.version)} is not supported ` +
        `(this reader reads version ${CHECKPOINT_VERSION})`,
    );
  }
  const manifest = decodeOrThrow(Manifest, json, `checkpoint: ${paths.manifest}`);

  const bytes = readFile(paths.tensors);
  const actual = sha256(bytes);
  if (bytes.length !== manifest.tensors.bytes || actual !== manifest.tensors.sha256) {
    throw new Error(
      `checkpoint: ${paths.tensors}: SHA-256 ${actual} (${bytes.length} bytes) does not match the ` +
        `manifest's ${manifest.tensors.sha256} (${manifest.tensors.bytes} bytes): ` +
        `${paths.manifest} belongs to another save (or a save was interrupted)`,
    );
  }
  const { tensors } = decodeSafetensors(bytes, paths.tensors);
  const used = new Set<string>();
  const take = (ref: TensorRef, at: string): Matrix => {
    const where = `checkpoint: ${paths.tensors}: tensor "${ref.tensor}" (${at})`;
    const tensor = tensors.get(ref.tensor);
    if (tensor === undefined) throw new Error(`${where} is named in the manifest but missing`);
    if (used.has(ref.tensor)) throw new Error(`${where} is named twice in the manifest`);
    used.add(ref.tensor);
    if (tensor.dtype !== manifest.tensors.dtype) {
      throw new Error(`${where} is ${tensor.dtype}, the manifest says ${manifest.tensors.dtype}`);
    }
    const [rows, cols] = ref.shape;
    if (tensor.shape.length !== 2 || tensor.shape[0] !== rows || tensor.shape[1] !== cols) {
      throw new Error(
        `${where} has shape [${tensor.shape.join(', ')}], the manifest says [${rows}, ${cols}]`,
      );
    }
    return fromFlat(rows, cols, tensor.data);
  };
  const params = decodeNode(manifest.params, take, 'params') as Tree;
  const optimiserState =
    manifest.optimiserState === undefined
      ? undefined
      : decodeNode(manifest.optimiserState, take, 'optimiserState');
  const extra = [...tensors.keys()].filter((name) => !used.has(name));
  if (extra.length > 0) {
    throw new Error(
      `checkpoint: ${paths.tensors}: tensor${extra.length > 1 ? 's' : ''} ` +
        `${extra.map((n) => `"${n}"`).join(', ')} not named in the manifest`,
    );
  }
  return {
    params,
    optimiserState,
    spec: manifest.spec,
    meta: manifest.meta,
    dtype: manifest.tensors.dtype,
  };
};

const isShape = (x: unknown): x is readonly [number, number] =>
  Array.isArray(x) && x.length === 2 && x.every((d) => typeof d === 'number');

/**
 * Throws unless `params` has `expected`'s structure and shapes (leaves `[rows, cols]` or matrices),
 * naming the first leaf that differs: `what: layers.2.W: expected 100x10, got 100x9`.
 */
export const checkParamShapes = (
  params: Tree,
  expected: Tree<readonly [number, number]> | Tree,
  what: string,
): void => {
  const walk = (p: unknown, e: unknown, path: string): void => {
    const fail = (message: string): never => {
      throw new Error(`${what}: ${path === '' ? '' : `${path}: `}${message}`);
    };
    if (isShape(e) || Matrix.isMatrix(e)) {
      const [rows, cols] = isShape(e) ? e : [(e as Matrix).rows, (e as Matrix).columns];
      if (!Matrix.isMatrix(p)) fail(`expected a ${rows}x${cols} matrix, got ${describe(p)}`);
      const m = p as Matrix;
      if (m.rows !== rows || m.columns !== cols)
        fail(`expected ${rows}x${cols}, got ${shapeString(m)}`);
    } else if (Array.isArray(e)) {
      if (!Array.isArray(p) || p.length !== e.length)
        fail(`expected an array of ${e.length}, got ${describe(p)}`);
      e.forEach((x, i) => {
        walk((p as unknown[])[i], x, joinPath(path, i));
      });
    } else if (isPlainObject(e)) {
      if (!isPlainObject(p)) fail(`expected an object, got ${describe(p)}`);
      const have = p as Record<string, unknown>;
      const missing = Object.keys(e).filter((k) => !Object.hasOwn(have, k));
      const extra = Object.keys(have).filter((k) => !Object.hasOwn(e, k));
      if (missing.length > 0)
        fail(
          `missing ${missing
            .sort()
            .map((k) => `"${k}"`)
            .join(', ')}`,
        );
      if (extra.length > 0)
        fail(
          `unexpected ${extra
            .sort()
            .map((k) => `"${k}"`)
            .join(', ')}`,
        );
      for (const k of Object.keys(e).sort()) walk(have[k], e[k], joinPath(path, k));
    } else {
      throw new TypeError(
        `${what}: ${path}: the expected tree has a leaf that is not a shape: ${describe(e)}`,
      );
    }
  };
  walk(params, expected, '');
};
