import type { Matrix } from './matrix.js';

/** A parameter tree: nested plain objects and arrays whose leaves are `L` (matrices by default). */
export type Tree<L = Matrix> = L | readonly Tree<L>[] | { readonly [key: string]: Tree<L> };

const isLeaf = (t: unknown): boolean => !Array.isArray(t) && !isPlainObject(t);

const isPlainObject = (t: unknown): t is Record<string, unknown> =>
  typeof t === 'object' && t !== null && Object.getPrototypeOf(t) === Object.prototype;

/** A leaf's path in its tree, e.g. `layers.0.W`; the root leaf's path is ``. */
export type TreePath = string;

const join = (prefix: string, key: string | number): string =>
  prefix === '' ? `${key}` : `${prefix}.${key}`;

/** Applies `f` to every leaf, keeping the structure. Object keys are visited in sorted order. */
export const treeMap = <A, B>(
  tree: Tree<A>,
  f: (leaf: A, path: TreePath) => B,
  path = '',
): Tree<B> => {
  if (Array.isArray(tree)) return tree.map((t, i) => treeMap(t, f, join(path, i)));
  if (isPlainObject(tree)) {
    const out: Record<string, Tree<B>> = {};
    for (const k of Object.keys(tree).sort()) out[k] = treeMap(tree[k]!, f, join(path, k));
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
        `treeZip: at '${path}' expected an array of ${a.length}, got ${describe(b)}`,
      );
    }
    return a.map((t, i) => treeZip(t, b[i], f, join(path, i)));
  }
  if (isPlainObject(a)) {
    if (!isPlainObject(b))
      throw new TypeError(`treeZip: at '${path}' expected an object, got ${describe(b)}`);
    const ka = Object.keys(a).sort();
    const kb = Object.keys(b).sort();
    if (ka.join('\0') !== kb.join('\0')) {
      throw new TypeError(
        `treeZip: at '${path}' keys differ: [${ka.join(', ')}] vs [${kb.join(', ')}]`,
      );
    }
    const out: Record<string, Tree<C>> = {};
    for (const k of ka) out[k] = treeZip(a[k]!, b[k]!, f, join(path, k));
    return out;
  }
  if (!isLeaf(b)) throw new TypeError(`treeZip: at '${path}' expected a leaf, got ${describe(b)}`);
  return f(a as A, b as B, path);
};

const describe = (t: unknown): string =>
  Array.isArray(t) ? `an array of ${t.length}` : isPlainObject(t) ? 'an object' : 'a leaf';
