import { describeValue, isPlainObject } from './describe.js';
import { Matrix, shapeString } from './matrix.js';

/** A parameter tree: nested plain objects and arrays whose leaves are `L` (matrices by default). */
export type Tree<L = Matrix> = L | readonly Tree<L>[] | { readonly [key: string]: Tree<L> };

const isLeaf = (t: unknown): boolean => !Array.isArray(t) && !isPlainObject(t);

/** A leaf's path in its tree, e.g. `layers.0.W`; the root leaf's path is ``. */
export type TreePath = string;

/** `a.b.0`: the path of a tree position, in messages and in `treeMap`'s callback. */
export const joinPath = (prefix: string, key: string | number): string =>
  prefix === '' ? `${key}` : `${prefix}.${key}`;

/** Applies `f` to every leaf, keeping the structure. Object keys are visited in sorted order. */
export const treeMap = <A, B>(
  tree: Tree<A>,
  f: (leaf: A, path: TreePath) => B,
  path = '',
): Tree<B> => {
  if (Array.isArray(tree)) return tree.map((t, i) => treeMap(t, f, joinPath(path, i)));
  if (isPlainObject(tree)) {
    const out: Record<string, Tree<B>> = {};
    for (const k of Object.keys(tree).sort()) out[k] = treeMap(tree[k]!, f, joinPath(path, k));
    return out;
  }
  return f(tree as A, path);
};

/** The leaves of a tree in a fixed order (arrays by index, object keys sorted), with their paths. */
export const treeFlatten = <L>(tree: Tree<L>): { paths: TreePath[]; leaves: L[] } => {
  const paths: TreePath[] = [];
  const leaves: L[] = [];
  treeMap(tree, (leaf, path) => {
    paths.push(path);
    leaves.push(leaf);
    return leaf;
  });
  return { paths, leaves };
};

/** Rebuilds a tree of `structure`'s shape from leaves in `treeFlatten` order. */
export const treeUnflatten = <A, B>(structure: Tree<A>, leaves: readonly B[]): Tree<B> => {
  let i = 0;
  const out = treeMap(structure, () => {
    if (i >= leaves.length)
      throw new RangeError(
        `treeUnflatten: the tree has more leaves than the ${leaves.length} given`,
      );
    return leaves[i++] as B;
  });
  if (i !== leaves.length) {
    throw new RangeError(`treeUnflatten: the tree has ${i} leaves but ${leaves.length} were given`);
  }
  return out;
};

/** Combines the leaves of trees of the same structure with `f`; throws naming the first mismatch. */
export const treeZip = <A, B, C>(
  a: Tree<A>,
  b: Tree<B>,
  f: (x: A, y: B, path: TreePath) => C,
  path = '',
): Tree<C> => {
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || b.length !== a.length) {
      throw new TypeError(
        `treeZip: at '${path}' expected an array of ${a.length}, got ${describeValue(b)}`,
      );
    }
    return a.map((t, i) => treeZip(t, b[i], f, joinPath(path, i)));
  }
  if (isPlainObject(a)) {
    if (!isPlainObject(b))
      throw new TypeError(`treeZip: at '${path}' expected an object, got ${describeValue(b)}`);
    const ka = Object.keys(a).sort();
    const kb = Object.keys(b).sort();
    if (ka.join('\0') !== kb.join('\0')) {
      throw new TypeError(
        `treeZip: at '${path}' keys differ: [${ka.join(', ')}] vs [${kb.join(', ')}]`,
      );
    }
    const out: Record<string, Tree<C>> = {};
    for (const k of ka) out[k] = treeZip(a[k]!, b[k]!, f, joinPath(path, k));
    return out;
  }
  if (!isLeaf(b))
    throw new TypeError(`treeZip: at '${path}' expected a leaf, got ${describeValue(b)}`);
  return f(a as A, b as B, path);
};

const isShape = (x: unknown): x is readonly [number, number] =>
  Array.isArray(x) && x.length === 2 && x.every((d) => typeof d === 'number');

/** [rows, cols] of a matrix or a shape pair, or undefined for anything else. */
const shapeOf = (x: unknown): readonly [number, number] | undefined =>
  x instanceof Matrix ? [x.rows, x.columns] : isShape(x) ? x : undefined;

const isScalar = (x: unknown): boolean =>
  x === null || ['number', 'string', 'boolean', 'undefined'].includes(typeof x);
const kindOf = (x: unknown): string => (x === null ? 'null' : typeof x);

/**
 * Throws unless `params` has `expected`'s structure and shapes (leaves `[rows, cols]` or matrices,
 * on either side; scalar leaves, as in optimiser states, of the same kind), naming the first leaf
 * that differs: `what: layers.2.W: expected 100x10, got 100x9`. Checking loaded parameters
 * against a model's fresh ones types them like the model's.
 */
export function checkParamShapes<P extends Tree<Matrix>>(
  params: Tree<Matrix>,
  expected: P,
  what: string,
): asserts params is P;
export function checkParamShapes(params: unknown, expected: unknown, what: string): void;
export function checkParamShapes(params: unknown, expected: unknown, what: string): void {
  const walk = (p: unknown, e: unknown, path: string): void => {
    const fail = (message: string): never => {
      throw new Error(`${what}: ${path === '' ? '' : `${path}: `}${message}`);
    };
    const want = shapeOf(e);
    if (want !== undefined) {
      const [rows, cols] = want;
      const have = shapeOf(p);
      if (have === undefined)
        fail(`expected a ${shapeString(want)} matrix, got ${describeShaped(p)}`);
      else if (have[0] !== rows || have[1] !== cols)
        fail(`expected ${shapeString(want)}, got ${shapeString(have)}`);
    } else if (Array.isArray(e)) {
      if (!Array.isArray(p) || p.length !== e.length)
        fail(`expected an array of ${e.length}, got ${describeShaped(p)}`);
      e.forEach((x, i) => {
        walk((p as unknown[])[i], x, joinPath(path, i));
      });
    } else if (isPlainObject(e)) {
      if (!isPlainObject(p)) fail(`expected an object, got ${describeShaped(p)}`);
      const have = p as Record<string, unknown>;
      const quoted = (ks: string[]) =>
        ks
          .sort()
          .map((k) => `"${k}"`)
          .join(', ');
      const missing = Object.keys(e).filter((k) => !Object.hasOwn(have, k));
      const extra = Object.keys(have).filter((k) => !Object.hasOwn(e, k));
      if (missing.length > 0) fail(`missing ${quoted(missing)}`);
      if (extra.length > 0) fail(`unexpected ${quoted(extra)}`);
      for (const k of Object.keys(e).sort()) walk(have[k], e[k], joinPath(path, k));
    } else if (isScalar(e)) {
      if (!isScalar(p) || kindOf(p) !== kindOf(e))
        fail(`expected ${describeValue(e)}, got ${describeShaped(p)}`);
    } else {
      throw new TypeError(
        `${what}: ${path}: the expected tree has a leaf that is not a shape: ${describeShaped(e)}`,
      );
    }
  };
  walk(params, expected, '');
}

/** Like describeValue, but a shape pair in a shapes tree reads as the matrix it stands for. */
const describeShaped = (x: unknown): string =>
  isShape(x) ? `a ${shapeString(x)} matrix` : describeValue(x);
