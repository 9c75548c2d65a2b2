import { describe, expect, it } from 'vitest';
import {
  add,
  assertGrad,
  checkGrad,
  defineOp,
  key,
  Matrix,
  map,
  matmul,
  mul,
  normal,
  relu,
  square,
  sum,
  type Tensor,
  tanh,
} from './imports.js';

/** A user op with a deliberately wrong derivative: d x³ claimed as 3x² + 0.01. */
const wrongCube = defineOp<[Tensor]>({
  name: 'wrongCube',
  forward: (x) => map(x, (v) => v ** 3),
  vjp: [(g, _out, x) => mul(g, add(mul(3, square(x)), 0.01))],
});

const mlp = (p: { W1: Tensor; W2: Tensor }, x: Matrix) =>
  sum(tanh(matmul(relu(matmul(x, p.W1)), p.W2)));

describe('checkGrad', () => {
  const x = normal(key(1), 4, 3);
  const params = { W1: normal(key(2), 3, 5), W2: normal(key(3), 5, 2) };

  it('passes a correct model in both modes', () => {
    const full = checkGrad((p: typeof params) => mlp(p, x), params, { mode: 'full' });
    expect(full.ok, full.message).toBe(true);
    expect(full.mode).toBe('full');
    expect(full.checked).toBe(3 * 5 + 5 * 2);
    const dirs = checkGrad((p: typeof params) => mlp(p, x), params, {
      mode: 'directions',
      directions: 4,
    });
    expect(dirs.ok, dirs.message).toBe(true);
    expect(dirs.checked).toBe(2 * 4);
  });

  it('checks every Jacobian entry of a non-scalar output', () => {
    const report = checkGrad((p: Tensor) => tanh(matmul(x, p)), normal(key(4), 3, 2), {
      mode: 'full',
    });
    expect(report.ok, report.message).toBe(true);
    expect(report.checked).toBe(3 * 2 * (4 * 2));
  });

  it('names the worst leaf, index, analytic and numeric values of a wrong gradient', () => {
    const bad = { a: Matrix.from1DArray(1, 2, [1, 2]), b: Matrix.from1DArray(1, 1, [0.5]) };
    const report = checkGrad((p: typeof bad) => add(sum(wrongCube(p.a)), sum(square(p.b))), bad, {
      mode: 'full',
    });
    expect(report.ok).toBe(false);
    expect(report.worst?.leaf).toBe('a');
    // relative to its size, the error is worst where x³′ is smallest: x = 1
    expect(report.worst?.index).toEqual([0, 0]);
    expect(report.worst?.analytic).toBeCloseTo(3.01, 12);
    expect(report.worst?.numeric).toBeCloseTo(3, 8);
    expect(report.message).toMatch(/MISMATCH; worst at a\[0, 0\] → output\[0, 0\]: analytic 3\.01/);
  });

  it('finds the wrong leaf with random directions on a large input', () => {
    const big = { good: normal(key(5), 50, 50), bad: normal(key(6), 50, 50) };
    const report = checkGrad(
      (p: typeof big) => add(sum(square(p.good)), sum(wrongCube(p.bad))),
      big,
    );
    expect(report.mode).toBe('directions');
    expect(report.ok).toBe(false);
    expect(report.worst?.leaf).toBe('bad');
  });

  it('assertGrad throws the report message', () => {
    expect(() =>
      assertGrad((p: Tensor) => sum(wrongCube(p)), Matrix.from1DArray(1, 1, [2])),
    ).toThrow(/MISMATCH/);
    expect(assertGrad((p: Tensor) => sum(square(p)), Matrix.from1DArray(1, 1, [2])).ok).toBe(true);
  });
});
