import { filled, key, Matrix, normal, type Tensor, type Tree, treeFlatten } from '@difftape/core';
import { describe, expect, it } from 'vitest';
import {
  Dense,
  glorotUniform,
  heNormal,
  LogSoftmax,
  modelFromSpec,
  normalInit,
  Relu,
  reportModelSpec,
  Serial,
  Sigmoid,
  Softmax,
  Tanh,
  zeros,
} from '../src/index.js';

const reportModel = () =>
  Serial(
    Dense(100, { init: normalInit(0.1) }),
    Relu,
    Dense(100, { init: normalInit(0.1) }),
    Relu,
    Dense(10, { init: normalInit(0.1) }),
  );
const shapes = (t: Tree<Matrix>) => treeFlatten(t).leaves.map((m) => `${m.rows}x${m.columns}`);

describe('layers', () => {
  it('Dense infers its input width and makes W (in × out) and b (1 × out)', () => {
    const [params, out] = Dense(7).init(key(0), [3]);
    expect(out).toEqual([7]);
    expect(shapes(params)).toEqual(['3x7', '1x7']); // keys sorted: W, b
    const y = Dense(7).apply(params, filled(5, 3, 1));
    expect([y.rows, y.columns]).toEqual([5, 7]);
  });

  it("builds the report's 784-100-100-10 model with 89 610 parameters", () => {
    const [params, out] = reportModel().init(key(1), [784]);
    expect(out).toEqual([10]);
    expect(shapes(params)).toEqual(['784x100', '1x100', '100x100', '1x100', '100x10', '1x10']);
    const count = treeFlatten(params).leaves.reduce((n, m) => n + m.rows * m.columns, 0);
    expect(count).toBe(89_610);
    const b = (params as { b: Matrix }[])[0]!.b;
    expect(b.to1DArray().every((v) => v === 0)).toBe(true);
  });

  it('is deterministic in the key and different across keys', () => {
    const a = reportModel().init(key(3), [784])[0];
    const b = reportModel().init(key(3), [784])[0];
    const c = reportModel().init(key(4), [784])[0];
    expect(treeFlatten(a).leaves[0]).toBeAllclose(treeFlatten(b).leaves[0], { rtol: 0, atol: 0 });
    expect(treeFlatten(a).leaves[0]!.get(0, 0)).not.toBe(treeFlatten(c).leaves[0]!.get(0, 0));
  });

  it('initialisers have the advertised scale', () => {
    const k = key(9);
    const std = (m: Matrix) =>
      Math.sqrt(m.to1DArray().reduce((s, v) => s + v * v, 0) / (m.rows * m.columns));
    expect(std(normalInit(0.1)(k, 400, 100))).toBeCloseTo(0.1, 2);
    expect(std(heNormal(k, 400, 100))).toBeCloseTo(Math.sqrt(2 / 400), 2);
    const g = glorotUniform(k, 400, 100).to1DArray();
    const a = Math.sqrt(6 / 500);
    expect(Math.max(...g.map(Math.abs))).toBeLessThanOrEqual(a);
    expect(std(glorotUniform(k, 400, 100))).toBeCloseTo(a / Math.sqrt(3), 2);
    expect(zeros(k, 2, 3)).toBeAllclose(filled(2, 3, 0), { atol: 0 });
    expect(normalInit(0.1)(k, 2, 2)).toBeAllclose(normal(k, 2, 2, 0.1), { rtol: 0, atol: 0 });
  });

  it('activation layers keep the shape and apply their function', () => {
    const x = Matrix.from1DArray(1, 3, [-1, 0, 2]);
    for (const layer of [Relu, Tanh, Sigmoid, Softmax, LogSoftmax]) {
      const [params, out] = layer.init(key(0), [3]);
      expect(out).toEqual([3]);
      expect(treeFlatten(params).leaves).toHaveLength(0);
    }
    expect(Relu.apply({}, x)).toBeAllclose(Matrix.from1DArray(1, 3, [0, 0, 2]));
  });

  it('names the layer, its index in Serial and both widths on a wrong input width', () => {
    const model = reportModel();
    const [params] = model.init(key(0), [784]);
    expect(() => model.apply(params, filled(2, 783, 0) as Tensor)).toThrow(
      'Serial: layer 0 (Dense(100)): Dense(100): expects 784 input columns, got 2x783',
    );
    const broken: typeof params = [...params];
    broken[2] = { W: filled(99, 100, 0), b: filled(1, 100, 0) };
    expect(() => model.apply(broken, filled(2, 784, 0))).toThrow(
      'Serial: layer 2 (Dense(100)): Dense(100): expects 99 input columns, got 2x100',
    );
  });

  it('rejects bad widths with the layer name', () => {
    expect(() => Dense(0)).toThrow('Dense(0): units: expected a positive integer, got 0');
    expect(() => Serial(Dense(3), Relu).init(key(0), [2.5])).toThrow(
      'Serial: layer 0 (Dense(3)): Dense(3): an input shape must be a non-empty list of positive integers, got [2.5]',
    );
  });
});

describe('modelFromSpec', () => {
  it("builds the report's model from its spec, parameter for parameter", () => {
    const fromSpec = modelFromSpec(reportModelSpec);
    const [a] = fromSpec.init(key(5), [784]);
    const [b] = reportModel().init(key(5), [784]);
    const la = treeFlatten(a).leaves;
    for (const [i, m] of treeFlatten(b).leaves.entries())
      expect(la[i]).toBeAllclose(m, { rtol: 0, atol: 0 });
    expect(fromSpec.name).toBe('Serial(Dense(100), Relu, Dense(100), Relu, Dense(10))');
  });

  it('takes the short form and reports errors with their path', () => {
    const model = modelFromSpec({ layers: [{ dense: 4 }, 'tanh', { dense: 2 }] });
    expect(model.init(key(0), [3])[1]).toEqual([2]);
    expect(() => modelFromSpec({ layers: [{ dense: 4 }, 'relu', { dense: 'x' }] })).toThrow(
      /layers\[2\]\.dense/,
    );
    expect(() => modelFromSpec({ layers: ['gelu'] })).toThrow(/layers\[0\]/);
  });
});
