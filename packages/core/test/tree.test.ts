import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import {
  arbTree,
  checkParamShapes,
  filled,
  Matrix,
  type Tree,
  treeFlatten,
  treeMap,
  treeUnflatten,
  treeZip,
} from './imports.js';

const shapes = {
  layers: [{ W: [2, 3], b: [1, 3] }, {}, { W: [3, 1], b: [1, 1] }],
  scale: [1, 1],
} as const;

describe('trees', () => {
  it('flattens in a fixed order (arrays by index, keys sorted) with dotted paths', () => {
    const t = {
      z: filled(1, 1, 1),
      a: [filled(1, 1, 2), { y: filled(1, 1, 3), x: filled(1, 1, 4) }],
    };
    const { paths, leaves } = treeFlatten(t);
    expect(paths).toEqual(['a.0', 'a.1.x', 'a.1.y', 'z']);
    expect(leaves.map((m) => m.get(0, 0))).toEqual([2, 4, 3, 1]);
  });

  test.prop([arbTree(shapes)], { numRuns: 30 })('unflatten ∘ flatten is the identity', (t) => {
    const { leaves } = treeFlatten(t);
    expect(treeUnflatten(t, leaves)).toEqual(t);
    expect(treeMap(t, (m: Matrix) => m)).toEqual(t);
  });

  it('treeZip combines leaves and names the first mismatch', () => {
    const a = { w: filled(1, 2, 1), v: [filled(1, 1, 2)] };
    const b = { w: filled(1, 2, 3), v: [filled(1, 1, 4)] };
    const sum = treeZip(a, b, (x: Matrix, y: Matrix) => x.get(0, 0) + y.get(0, 0));
    expect(sum).toEqual({ v: [6], w: 4 });
    expect(() => treeZip(a, { w: filled(1, 2, 3) }, (x) => x)).toThrow(
      "treeZip: at '' keys differ: [v, w] vs [w]",
    );
    expect(() => treeZip(a, { w: filled(1, 2, 3), v: [] }, (x) => x)).toThrow(
      "treeZip: at 'v' expected an array of 1, got an array of 0",
    );
  });

  it('treeUnflatten checks the leaf count', () => {
    expect(() =>
      treeUnflatten({ a: filled(1, 1, 0), b: filled(1, 1, 0) }, [filled(1, 1, 0)]),
    ).toThrow(/more leaves than the 1 given/);
    expect(() => treeUnflatten([filled(1, 1, 0)], [filled(1, 1, 0), filled(1, 1, 0)])).toThrow(
      'treeUnflatten: the tree has 1 leaves but 2 were given',
    );
  });

  test.prop([fc.integer({ min: 1, max: 4 })])('a leaf is its own tree', (n) => {
    const m = new Matrix(n, n);
    expect(treeFlatten(m)).toEqual({ paths: [''], leaves: [m] });
  });
});

describe('checkParamShapes', () => {
  const params = {
    layers: [
      { W: new Matrix([[1, 2]]), b: new Matrix([[0, 0]]) },
      { W: new Matrix(2, 9), b: new Matrix(1, 9) },
    ],
  };

  it('accepts matching shapes, given as [rows, cols] or as matrices', () => {
    const shapes: Tree<readonly [number, number]> = {
      layers: [
        { W: [1, 2], b: [1, 2] },
        { W: [2, 9], b: [1, 9] },
      ],
    };
    expect(() => checkParamShapes(params, shapes, 'ckpt')).not.toThrow();
    expect(() => checkParamShapes(params, params, 'ckpt')).not.toThrow();
    expect(() => checkParamShapes(shapes, params, 'ckpt')).not.toThrow();
  });

  it('names the first leaf with the wrong shape', () => {
    const shapes: Tree<readonly [number, number]> = {
      layers: [
        { W: [1, 2], b: [1, 2] },
        { W: [2, 10], b: [1, 10] },
      ],
    };
    expect(() => checkParamShapes(params, shapes, 'm.safetensors')).toThrow(
      new Error('m.safetensors: layers.1.W: expected 2x10, got 2x9'),
    );
  });

  it('names structural differences', () => {
    expect(() => checkParamShapes(params, { layers: [{ W: [1, 2], b: [1, 2] }] }, 'x')).toThrow(
      new Error('x: layers: expected an array of 1, got an array of 2'),
    );
    expect(() => checkParamShapes(params, { layers: [{ W: [1, 2] }, { W: [2, 9] }] }, 'x')).toThrow(
      new Error('x: layers.0: unexpected "b"'),
    );
    expect(() => checkParamShapes({ W: new Matrix([[1]]) }, { W: [1, 1], b: [1, 1] }, 'x')).toThrow(
      new Error('x: missing "b"'),
    );
    expect(() => checkParamShapes({ W: [] }, { W: [1, 1] }, 'x')).toThrow(
      new Error('x: W: expected a 1x1 matrix, got an array of 0'),
    );
    expect(() => checkParamShapes(new Matrix([[1]]), [1, 2], 'x')).toThrow(
      new Error('x: expected 1x2, got 1x1'),
    );
  });

  it('compares scalar leaves (optimiser counts, names) by kind', () => {
    const state = [{ count: 0, mu: new Matrix([[0]]), name: 'adam', nu: null }];
    expect(() =>
      checkParamShapes([{ count: 7, mu: new Matrix([[3]]), name: 'x', nu: null }], state, 's'),
    ).not.toThrow();
    expect(() =>
      checkParamShapes([{ count: 'NaN', mu: new Matrix([[3]]), name: 'x', nu: null }], state, 's'),
    ).toThrow(new Error('s: 0.count: expected a number, got a string'));
    expect(() => checkParamShapes([{ count: 1, mu: 1, name: 'x', nu: null }], state, 's')).toThrow(
      new Error('s: 0.mu: expected a 1x1 matrix, got a number'),
    );
  });
});
