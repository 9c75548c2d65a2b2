import type { Matrix } from '@difftape/core';
import { arbEntries, arbMatrix } from '@difftape/core/testing';
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { l1, l1MaxColumn, l2 } from '../src/index.js';
import { M } from './helpers.js';

const inner = (a: Matrix, b: Matrix) =>
  a.to1DArray().reduce((s, v, i) => s + v * b.to1DArray()[i]!, 0);
const plus = (a: Matrix, b: Matrix) =>
  M(
    a.rows,
    a.columns,
    a.to1DArray().map((v, i) => v + b.to1DArray()[i]!),
  );
const colL1 = (w: Matrix) =>
  Array.from({ length: w.columns }, (_, j) => w.getColumn(j).reduce((s, v) => s + Math.abs(v), 0));

describe('l1MaxColumn (the report, section 1.7)', () => {
  it('takes the induced 1-norm and puts sign(W[:, j*]) in the max column only', () => {
    const w = M(3, 3, [1, -4, 0.5, -2, 1, 0, 0, 0, -3]);
    // column L1 norms: 3, 5, 3.5 → j* = 1
    expect(l1MaxColumn.value(w, 'weight')).toBe(5);
    expect(l1MaxColumn.subgradient(w, 'weight')).toBeAllclose(
      M(3, 3, [0, -1, 0, 0, 1, 0, 0, 0, 0]),
      {
        atol: 0,
      },
    );
  });

  it('gives ties to the first column and sign(0) = 0', () => {
    const w = M(2, 3, [0, 2, -2, 2, 0, 0]);
    expect(l1MaxColumn.subgradient(w, 'weight')).toBeAllclose(M(2, 3, [0, 0, 0, 1, 0, 0]), {
      atol: 0,
    });
  });

  it('treats a bias as a vector: Σ|b| and sign(b)', () => {
    const b = M(1, 4, [0.5, -2, 0, 1]);
    expect(l1MaxColumn.value(b, 'bias')).toBe(3.5);
    expect(l1MaxColumn.subgradient(b, 'bias')).toBeAllclose(M(1, 4, [1, -1, 0, 1]), { atol: 0 });
  });

  it('tells a weight from a bias by its role, not its shape: a 1 × n W gets the max column', () => {
    // A one-input dense layer's W is one row, like a bias; column norms 0.5, 2, 0, 1 → j* = 1.
    const w = M(1, 4, [0.5, -2, 0, 1]);
    expect(l1MaxColumn.value(w, 'weight')).toBe(2);
    expect(l1MaxColumn.subgradient(w, 'weight')).toBeAllclose(M(1, 4, [0, -1, 0, 0]), {
      atol: 0,
    });
  });

  test.prop([
    fc
      .tuple(fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 6 }))
      .chain(([r, c]) => fc.tuple(arbEntries(r, c), arbEntries(r, c))),
  ])('satisfies the subgradient inequality R(W + Δ) ≥ R(W) + ⟨g, Δ⟩', ([w, d]) => {
    for (const reg of [l1MaxColumn, l1, l2]) {
      for (const role of ['weight', 'bias'] as const) {
        const lhs = reg.value(plus(w, d), role);
        const rhs = reg.value(w, role) + inner(reg.subgradient(w, role), d);
        expect(lhs).toBeGreaterThanOrEqual(rhs - 1e-12 * (1 + Math.abs(rhs)));
      }
    }
  });

  test.prop([arbMatrix({ rows: [1, 6], cols: [1, 6] })])(
    'chooses the first column of largest L1 norm',
    (w) => {
      const g = l1MaxColumn.subgradient(w, 'weight');
      const norms = colL1(w);
      const chosen = norms.indexOf(Math.max(...norms));
      for (let j = 0; j < w.columns; j++) {
        const expected =
          j === chosen ? w.getColumn(j).map((v) => Math.sign(v) + 0) : w.getColumn(j).map(() => 0);
        expect(g.getColumn(j)).toEqual(expected);
      }
      expect(l1MaxColumn.value(w, 'weight')).toBe(norms[chosen]);
    },
  );

  it('leaves its input untouched', () => {
    const w = M(2, 2, [1, -2, 3, -4]);
    const before = w.to1DArray();
    l1MaxColumn.subgradient(w, 'weight');
    l2.subgradient(w, 'weight');
    expect(w.to1DArray()).toEqual(before);
  });
});

describe('l1 and l2', () => {
  it('compute Σ|x| with sign and ½Σx² with x', () => {
    const w = M(1, 3, [-1, 0, 2]);
    expect(l1.value(M(2, 2, [1, -2, 0, 3]), 'weight')).toBe(6);
    expect(l1.subgradient(M(2, 2, [1, -2, 0, 3]), 'weight')).toBeAllclose(M(2, 2, [1, -1, 0, 1]), {
      atol: 0,
    });
    expect(l2.value(w, 'weight')).toBe(2.5);
    expect(l2.subgradient(w, 'weight')).toBeAllclose(w, { atol: 0 });
  });
});

test.prop([
  fc
    .tuple(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 5 }))
    .chain(([r, c]) => fc.tuple(arbEntries(r, c), arbEntries(r, c))),
  fc.double({ min: 0, max: 2, noNaN: true }),
  fc.constantFrom('weight' as const, 'bias' as const),
])("l1MaxColumn's one-pass g + λ∂R equals g + λ·subgradient", ([g, w], lambda, role) => {
  const slow = M(
    g.rows,
    g.columns,
    g.to1DArray().map((v, i) => v + lambda * l1MaxColumn.subgradient(w, role).to1DArray()[i]!),
  );
  expect(l1MaxColumn.addScaled!(g, w, lambda, role)).toBeAllclose(slow, { rtol: 0, atol: 0 });
});
