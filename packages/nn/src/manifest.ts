import { describeValue, isPlainObject, joinPath, Matrix, type Tree } from '@difftape/core';
import * as t from 'io-ts';
import { exactObject, NonNegativeInt } from './decode.js';
import { ModelSpec } from './spec.js';

/**
 * A checkpoint's manifest: the trees' structure with tensor names, the model spec, `meta`, and the
 * optimiser state's non-matrix leaves. Version 2 lives inside the safetensors header; version 1 was
 * a separate `<name>.json` beside the tensors file and still loads.
 */

/** The manifest's `format` field (and the safetensors `__metadata__` format). */
export const CHECKPOINT_FORMAT = 'difftape-checkpoint';
/** The manifest version written inside the safetensors header. */
export const CHECKPOINT_VERSION = 2;
/** The version of the old two-file layout's `<name>.json` manifest. */
export const LEGACY_VERSION = 1;

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

const containers = <N>(self: t.Type<N, unknown>) =>
  [
    exactObject({ array: t.array(self) }, {}, 'an array node {"array": [...]}'),
    exactObject({ object: t.record(t.string, self) }, {}, 'an object node {"object": {...}}'),
  ] as const;

const ParamNode: t.Type<ParamNode, unknown> = t.recursion('a params node', (self) =>
  t.union([Tensor, ...containers(self)]),
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
  ]),
);

const isSha256 = (u: unknown): u is string => typeof u === 'string' && /^[0-9a-f]{64}$/.test(u);

/** A lowercase hex SHA-256 digest. */
export const Sha256 = new t.Type<string, string, unknown>(
  'a SHA-256 hex digest',
  isSha256,
  (u, c) => (isSha256(u) ? t.success(u) : t.failure(u, c)),
  (a) => a,
);

const Dtype = t.keyof({ F64: null, F32: null });

const trees = { meta: t.UnknownRecord, params: ParamNode };
const optionalTrees = { spec: ModelSpec, optimiserState: StateNode };

/** The manifest of a one-file checkpoint, stored as JSON in the header's `__metadata__.manifest`. */
export const Manifest = exactObject(
  {
    format: t.literal(CHECKPOINT_FORMAT),
    version: t.literal(CHECKPOINT_VERSION),
    dtype: Dtype,
    ...trees,
  },
  optionalTrees,
  'a checkpoint manifest object',
);
/** The manifest of a one-file checkpoint. */
export type Manifest = t.TypeOf<typeof Manifest>;

/** The `<name>.json` manifest of a two-file checkpoint (version 1), with the tensors file's sum. */
export const LegacyManifest = exactObject(
  {
    format: t.literal(CHECKPOINT_FORMAT),
    version: t.literal(LEGACY_VERSION),
    tensors: exactObject(
      { sha256: Sha256, bytes: NonNegativeInt, dtype: Dtype },
      {},
      'an object {"sha256", "bytes", "dtype"}',
    ),
    ...trees,
  },
  optionalTrees,
  'a checkpoint manifest object',
);
/** The manifest of a two-file checkpoint. */
export type LegacyManifest = t.TypeOf<typeof LegacyManifest>;

/** How deep a manifest may nest (a model's trees are a few levels; this bounds the decoder's stack). */
export const MAX_MANIFEST_DEPTH = 64;

/** Keys that would reach an object's prototype when assigned. */
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * Throws `fail`'s error unless the parsed JSON `root` nests at most `maxDepth` levels and has no
 * `__proto__`, `constructor` or `prototype` key. Walks with an explicit stack (no recursion).
 */
export const checkJsonShape = (
  root: unknown,
  maxDepth: number,
  fail: (message: string) => never,
): void => {
  const stack: [value: unknown, depth: number, path: string][] = [[root, 0, '']];
  for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
    const [value, depth, path] = item;
    if (typeof value !== 'object' || value === null) continue;
    if (depth >= maxDepth) fail(`nested deeper than ${maxDepth} levels (at ${path || 'the top'})`);
    const entries = Array.isArray(value) ? value.entries() : Object.entries(value);
    for (const [k, v] of entries) {
      if (FORBIDDEN_KEYS.has(`${k}`)) {
        fail(
          `the key "${k}" (at ${joinPath(path, k) || 'the top'}) is not allowed in a checkpoint`,
        );
      }
      stack.push([v, depth + 1, joinPath(path, k)]);
    }
  }
};

/** Turns a tree into its manifest node, collecting its matrices as tensors named `prefix/path`. */
export const encodeNode = (
  x: unknown,
  path: string,
  prefix: 'params' | 'opt',
  tensors: Map<string, Matrix>,
  fail: (path: string, message: string) => never,
): StateNode => {
  if (x instanceof Matrix) {
    const m = x;
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
      if (FORBIDDEN_KEYS.has(k)) fail(path, `the key "${k}" is not allowed in a checkpoint`);
      object[k] = encodeNode(x[k], joinPath(path, k), prefix, tensors, fail);
    }
    return { object };
  }
  if (prefix === 'params') fail(path, `expected a Matrix, got ${describeValue(x)}`);
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
  return fail(path, `cannot save ${describeValue(x)}`);
};

/** The tensor refs of a manifest tree in the order the writer laid them out (keys sorted). */
export const refsOf = (node: StateNode, path: string, out: [TensorRef, string][]): void => {
  if ('tensor' in node) out.push([node, path]);
  else if ('array' in node) {
    node.array.forEach((n, i) => {
      refsOf(n, joinPath(path, i), out);
    });
  } else if ('object' in node) {
    for (const k of Object.keys(node.object).sort())
      refsOf(node.object[k]!, joinPath(path, k), out);
  }
};

/** Rebuilds a tree from its manifest node, taking each tensor from `take`. */
export const decodeNode = (
  node: StateNode,
  take: (ref: TensorRef) => Matrix,
  shapesOnly = false,
): unknown => {
  if ('tensor' in node) return shapesOnly ? node.shape : take(node);
  if ('array' in node) return node.array.map((n) => decodeNode(n, take, shapesOnly));
  if ('object' in node) {
    // Keys were checked by checkJsonShape: none of them reaches the prototype.
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(node.object).sort())
      out[k] = decodeNode(node.object[k]!, take, shapesOnly);
    return out;
  }
  if ('number' in node) return typeof node.number === 'number' ? node.number : Number(node.number);
  if ('string' in node) return node.string;
  if ('boolean' in node) return node.boolean;
  if ('null' in node) return null;
  return undefined;
};

/** Throws, naming the path, unless `x` is plain JSON (finite numbers, no undefined, no classes). */
export const checkJson = (x: unknown, path: string): void => {
  const bad = (what: string): never => {
    throw new TypeError(`checkpoint: meta${path === '' ? '' : `.${path}`}: ${what}`);
  };
  if (typeof x === 'number') {
    if (!Number.isFinite(x)) bad(`${x} is not JSON`);
  } else if (Array.isArray(x)) {
    for (let i = 0; i < x.length; i++) checkJson(x[i], joinPath(path, i));
  } else if (isPlainObject(x)) {
    for (const k of Object.keys(x)) {
      if (FORBIDDEN_KEYS.has(k)) bad(`the key "${k}" is not allowed in a checkpoint`);
      checkJson(x[k], joinPath(path, k));
    }
  } else if (x !== null && typeof x !== 'string' && typeof x !== 'boolean')
    bad(`${describeValue(x)} is not JSON`);
};

/** The shapes of a params tree, matrices replaced by [rows, cols] (for shape checks). */
export type ShapeTree = Tree<readonly [number, number]>;
