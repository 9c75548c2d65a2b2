import {
  checkGrad,
  key,
  Matrix,
  normal,
  randomInts,
  rawOf,
  relu,
  softmax,
  softmaxCrossEntropy,
  split,
  type Tree,
  treeFlatten,
  valueAndGrad,
  vjp,
} from '@difftape/core';
import { arbEntries, arbMatrix } from '@difftape/core/testing';
import {
  type AnyLayer,
  addRegulariser,
  applyUpdates,
  chain,
  Dense,
  type Layer,
  l1MaxColumn,
  modelFromSpec,
  nll,
  type Params,
  Relu,
  reportModelSpec,
  Serial,
  sgd,
} from '@difftape/nn';
import { fc, test } from '@fast-check/vitest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  dLossDyhat,
  type LayerLeaves,
  l1MaxColumnSubgradient,
  type MlpParams,
  mlpParams,
  reluJacobian,
  reportForward,
  reportGradients,
  reportUpdate,
  softmaxJacobian,
} from './analytic.js';

// Worst relative differences seen (see `expectLeafClose`), printed with ANALYTIC_STATS=1.
const worst = { tapeNll: 0, tapeSce: 0, loss: 0, fd: 0, jacobian: 0, step: 0 };
afterAll(() => {
  if (process.env.ANALYTIC_STATS) console.log('analytic: worst relative differences', worst);
});

const maxAbs = (m: Matrix): number => m.to1DArray().reduce((s, v) => Math.max(s, Math.abs(v)), 0);

/**
 * A normwise relative test, max |a − e| ≤ rtol · max |e| + atol over the leaf; records
 * max |a − e| / max(max |e|, atol / rtol) under `stat`. A 1e-300 floor excuses subnormal results
 * (fast-check makes entries like 5e-324): they carry no relative precision.
 */
const expectLeafClose = (
  a: Matrix,
  e: Matrix,
  rtol: number,
  atol: number,
  stat: keyof typeof worst,
  where: string,
): void => {
  expect([a.rows, a.columns], `${where}: shape`).toEqual([e.rows, e.columns]);
  const ad = a.to1DArray();
  const diff = e.to1DArray().reduce((s, v, i) => Math.max(s, Math.abs(ad[i]! - v)), 0);
  const scale = maxAbs(e);
  const floor = Math.max(scale, atol / rtol);
  if (floor > 0) worst[stat] = Math.max(worst[stat], diff / floor);
  expect(diff, `${where}: max |diff| ${diff} against max |expected| ${scale}`).toBeLessThanOrEqual(
    rtol * scale + atol + 1e-300,
  );
};

/**
 * Every leaf of two trees of the same structure, compared with `expectLeafClose`. The absolute
 * floor is for gradients that cancel to ~0 (fast-check finds them: a batch whose mean of ŷ − y is
 * 0, or W with equal columns so W·dz = c·Σ dz = 0): their rounding noise is relative to the terms
 * that cancelled, which are O(1) here (|ŷ − y| ≤ 1, |x| ≤ 1, |W| ≤ 1/fan-in), not to the result.
 */
const expectTreesClose = (
  actual: Tree<Matrix>,
  expected: Tree<Matrix>,
  rtol: number,
  atol: number,
  stat: keyof typeof worst,
): void => {
  const a = treeFlatten(actual);
  const e = treeFlatten(expected);
  expect(a.paths).toEqual(e.paths);
  e.leaves.forEach((leaf, i) => {
    expectLeafClose(rawOf(a.leaves[i]!), leaf, rtol, atol, stat, e.paths[i]!);
  });
};

/** Tape and analytic losses agree to 1e-12 relative. */
const expectLossClose = (tape: number, analytic: number): void => {
  worst.loss = Math.max(worst.loss, Math.abs(tape - analytic) / Math.abs(analytic));
  expect(tape).toBeAllclose(analytic, { rtol: 1e-12, atol: 0 });
};

interface Problem {
  readonly widths: readonly number[];
  readonly params: MlpParams;
  readonly X: Matrix;
  readonly labels: number[];
}

/** Serial(Dense(h₁), Relu, ..., Dense(K)) for widths [n, h₁, ..., K]. */
const mlp = (widths: readonly number[]): Layer<MlpParams> => {
  // The depth is data here, so the parameter types are only known at run time (as modelFromSpec's).
  const model: AnyLayer = Serial(
    ...widths.slice(1, -1).flatMap((h) => [Dense(h), Relu]),
    Dense(widths.at(-1)!),
  );
  return model;
};

/**
 * Small MLPs of 0–3 hidden layers (input 4–8, hidden 3–6, K 3–5, batch 1–6). Weights lie in
 * ±1/fan-in and biases in ±0.5 so logits stay within a few units: the softmax never saturates, and
 * 1 − ŷ keeps enough digits for relative comparisons.
 */
const arbProblem: fc.Arbitrary<Problem> = fc
  .record({
    n: fc.integer({ min: 4, max: 8 }),
    hidden: fc.array(fc.integer({ min: 3, max: 6 }), { maxLength: 3 }),
    k: fc.integer({ min: 3, max: 5 }),
    m: fc.integer({ min: 1, max: 6 }),
  })
  .chain(({ n, hidden, k, m }) => {
    const widths = [n, ...hidden, k];
    const layers = widths.slice(1).map((out, i) => {
      const r = 1 / widths[i]!;
      // A plain object: fc.record's null-prototype objects are not trees to treeFlatten.
      return fc
        .tuple(
          arbEntries(widths[i]!, out, { min: -r, max: r }),
          arbEntries(1, out, { min: -0.5, max: 0.5 }),
        )
        .map(([W, b]) => ({ W, b }));
    });
    return fc
      .record({
        layers: fc.tuple(...layers),
        X: arbEntries(m, n, { min: -1, max: 1 }),
        labels: fc.array(fc.integer({ min: 0, max: k - 1 }), { minLength: m, maxLength: m }),
      })
      .map(({ layers: ls, X, labels }) => ({
        widths,
        params: ls.flatMap((l, i): LayerLeaves[] => (i < ls.length - 1 ? [l, {}] : [l])),
        X,
        labels,
      }));
  });

/** Smallest |z| over all ReLU inputs: finite differences need it well above their step. */
const minAbsPreActivation = ({ params, X }: Problem): number => {
  const { inputs } = reportForward(params, X);
  let min = Number.POSITIVE_INFINITY;
  params.forEach((p, i) => {
    if (!('W' in p)) for (const v of inputs[i]!.to1DArray()) min = Math.min(min, Math.abs(v));
  });
  return min;
};

const tapeNll = ({ widths, params, X, labels }: Problem) => {
  const model = mlp(widths);
  return valueAndGrad((p: MlpParams) => nll(softmax(model.apply(p, X)), labels))(params);
};
const tapeSce = ({ widths, params, X, labels }: Problem) => {
  const model = mlp(widths);
  return valueAndGrad((p: MlpParams) => softmaxCrossEntropy(model.apply(p, X), labels))(params);
};

/** A fresh copy of params with one entry of one leaf moved by delta. */
const nudged = (
  params: MlpParams,
  layer: number,
  leaf: 'W' | 'b',
  i: number,
  j: number,
  d: number,
) =>
  params.map((p, l): LayerLeaves => {
    if (l !== layer || !('W' in p)) return p;
    const m = p[leaf].clone();
    m.set(i, j, m.get(i, j) + d);
    return { W: leaf === 'W' ? m : p.W, b: leaf === 'b' ? m : p.b };
  });

/** Central differences of the report's own loss, entry by entry (eps 1e-6). */
const centralDifferences = ({ params, X, labels }: Problem, eps = 1e-6): MlpParams =>
  params.map((p, l): LayerLeaves => {
    if (!('W' in p)) return {};
    const grad = (leaf: 'W' | 'b') => {
      const out = new Matrix(p[leaf].rows, p[leaf].columns);
      for (let i = 0; i < out.rows; i++) {
        for (let j = 0; j < out.columns; j++) {
          const plus = reportForward(nudged(params, l, leaf, i, j, eps), X, labels).loss!;
          const minus = reportForward(nudged(params, l, leaf, i, j, -eps), X, labels).loss!;
          out.set(i, j, (plus - minus) / (2 * eps));
        }
      }
      return out;
    };
    return { W: grad('W'), b: grad('b') };
  });

/**
 * True when a hidden pre-activation z lies within rounding error of the ReLU kink (|z| ≤ 1e-12 of
 * Σ|h·w| + |b|, that sum not 0): the report's loops and the tape's kernels sum z in different
 * orders, so they may round it to opposite sides of 0 and take different branches of ReLU′, each
 * gradient right for the z it computed. Exact zeros (all terms 0) take the same branch in both.
 */
const nearKink = ({ params, X }: Problem): boolean => {
  const { inputs } = reportForward(params, X);
  return params.some((layer, l) => {
    if (!('W' in layer) || l === params.length - 1) return false;
    const h = inputs[l]!;
    const z = inputs[l + 1]!;
    return z.to2DArray().some((row, i) =>
      row.some((zij, j) => {
        let scale = Math.abs(layer.b.get(0, j));
        for (let p = 0; p < h.columns; p++) scale += Math.abs(h.get(i, p) * layer.W.get(p, j));
        return scale > 0 && Math.abs(zij) <= 1e-12 * scale;
      }),
    );
  });
};

describe('reportGradients (section 1.6) against the tape', () => {
  test.prop([arbProblem])(
    'equals valueAndGrad of nll(softmax(·)) and of softmaxCrossEntropy, leaf by leaf',
    (problem) => {
      fc.pre(!nearKink(problem));
      const { loss, grads } = reportGradients(problem.params, problem.X, problem.labels);
      const [lossNll, gNll] = tapeNll(problem);
      const [lossSce, gSce] = tapeSce(problem);
      expectLossClose(lossNll, loss);
      expectLossClose(lossSce, loss);
      expectTreesClose(gNll, grads, 1e-10, 1e-14, 'tapeNll');
      expectTreesClose(gSce, grads, 1e-10, 1e-14, 'tapeSce');
    },
  );

  it('may take the other ReLU branch where z is within rounding of 0 (seed -1479563117, shrunk)', () => {
    // z² = H¹·W² cancels to ≈ 1e-321 beside b² = 1e-320: the report's loop and the tape's kernel
    // round it to opposite signs, so ReLU′ and the layer-2 bias gradient differ (both are right).
    const dense = (rows: number, cols: number, entries: [number, number, number][]) => {
      const W = new Matrix(rows, cols);
      for (const [i, j, v] of entries) W.set(i, j, v);
      return W;
    };
    const params: MlpParams = [
      {
        W: dense(4, 6, [
          [3, 3, 0.24999999999999956],
          [3, 5, 0.24999999999999936],
        ]),
        b: new Matrix(1, 6),
      },
      {},
      {
        W: dense(6, 6, [
          [3, 1, -0.1666666666666664],
          [5, 1, 0.16666666666666646],
        ]),
        b: dense(1, 6, [[0, 1, 1.0123e-320]]),
      },
      {},
      {
        W: dense(6, 3, [[1, 2, -7.81958955593861e-14]]),
        b: new Matrix([[2.663974781713652e-6, 0, -0.4999999999999989]]),
      },
    ];
    const X = dense(6, 4, [
      [0, 3, 1.623931722537449e-303],
      [1, 3, 1.42353169536288e-303],
      [2, 3, 1.1422248086413434e-265],
      [3, 3, 7.205671748654278e-304],
    ]);
    const problem = { widths: [4, 6, 6, 3], params, X, labels: [0, 0, 0, 2, 0, 0] };
    expect(nearKink(problem)).toBe(true);
    const layer2 = reportGradients(params, X, problem.labels).grads[2];
    if (layer2 === undefined || !('b' in layer2)) throw new Error('reportGradients: no layer-2 b');
    const report = layer2.b;
    // The tape's leaf 3 is the same b: leaves run [0].W, [0].b, [2].W, [2].b, ...
    const tape = rawOf(treeFlatten(tapeNll(problem)[1]).leaves[3]!);
    expect(Math.sign(report.get(0, 1))).toBe(-Math.sign(tape.get(0, 1)));
  });

  it('agrees at a ReLU kink: z = 0 exactly has derivative 0 in both', () => {
    const W1 = Matrix.from1DArray(2, 3, [1, -1, 0.5, 2, 0.25, -1]);
    const params: MlpParams = [
      { W: W1, b: Matrix.from1DArray(1, 3, [0, 0, 0.1]) },
      {},
      { W: Matrix.from1DArray(3, 3, [1, -2, 0.5, 0.3, 1, -1, 2, 0.1, 0.4]), b: new Matrix(1, 3) },
    ];
    const problem = {
      widths: [2, 3, 3],
      params,
      X: Matrix.from1DArray(2, 2, [0, 0, 1, 1]),
      labels: [2, 0],
    };
    expect(reportForward(params, problem.X).inputs[1]!.getRow(0)).toEqual([0, 0, 0.1]);
    const { grads } = reportGradients(params, problem.X, problem.labels);
    expectTreesClose(tapeNll(problem)[1], grads, 1e-10, 0, 'tapeNll');
    expectTreesClose(tapeSce(problem)[1], grads, 1e-10, 0, 'tapeSce');
  });

  test.prop([arbProblem])(
    '∇ŷ = −y/ŷ per sample; the tape carries the 1/m of the mean',
    (problem) => {
      const { probs } = reportForward(problem.params, problem.X);
      const m = probs.rows;
      const [, pullback] = vjp((p: Matrix) => nll(p, problem.labels), probs);
      const tape = rawOf(pullback(new Matrix([[1]])));
      for (let s = 0; s < m; s++) {
        const y = probs.getRow(s).map((_, k) => (k === problem.labels[s] ? 1 : 0));
        const perSample = dLossDyhat(y, probs.getRow(s)).getRow(0);
        expect(tape.getRow(s)).toBeAllclose(
          perSample.map((v) => v / m),
          { rtol: 1e-14, atol: 0 },
        );
      }
    },
  );
});

describe('reportGradients against central differences', () => {
  test.prop([arbProblem], { numRuns: 40 })(
    'the tape passes checkGrad and the analytic gradient matches its own central differences',
    (problem) => {
      // eps = 1e-6 moves a pre-activation by at most ~1e-5: keep every ReLU input 1e-4 off its kink.
      fc.pre(minAbsPreActivation(problem) > 1e-4);
      const model = mlp(problem.widths);
      const report = checkGrad(
        (p: MlpParams) => nll(softmax(model.apply(p, problem.X)), problem.labels),
        problem.params,
        { mode: 'full' },
      );
      expect(report.ok, report.message).toBe(true);
      const { grads } = reportGradients(problem.params, problem.X, problem.labels);
      expectTreesClose(grads, centralDifferences(problem), 1e-6, 1e-8, 'fd');
    },
  );
});

describe('the Jacobians one at a time', () => {
  test.prop([arbMatrix({ rows: [1, 4], cols: [2, 6], min: -5, max: 5 })])(
    'softmaxJacobian(s) = diag(s) − s sᵀ equals the tape’s, row by row of vjp(softmax, z)',
    (z) => {
      for (let r = 0; r < z.rows; r++) {
        const row = Matrix.rowVector(z.getRow(r));
        const k = row.columns;
        const [s, pullback] = vjp((x: Matrix) => softmax(x), row);
        const tapeJ = new Matrix(
          Array.from({ length: k }, (_, i) => {
            const basis = new Matrix(1, k);
            basis.set(0, i, 1);
            return rawOf(pullback(basis)).getRow(0);
          }),
        );
        expectLeafClose(tapeJ, softmaxJacobian(rawOf(s)), 1e-12, 1e-16, 'jacobian', `row ${r}`);
      }
    },
  );

  test.prop([
    arbMatrix({ rows: [1, 4], cols: [1, 6] }),
    fc.array(fc.constantFrom(0, -0, 1, -1), { maxLength: 6 }),
  ])('reluJacobian(z) = diag(z > 0) equals the tape’s, zeros included', (z, extra) => {
    const rows = z.to2DArray().map((r) => [...r, ...extra]);
    for (const r of rows) {
      const row = Matrix.rowVector(r);
      const [, pullback] = vjp((x: Matrix) => relu(x), row);
      const tapeJ = new Matrix(
        r.map((_, i) => {
          const basis = new Matrix(1, r.length);
          basis.set(0, i, 1);
          return rawOf(pullback(basis)).getRow(0);
        }),
      );
      expect(reluJacobian(row).to2DArray()).toEqual(
        tapeJ.to2DArray().map((x) => x.map((v) => v + 0)),
      );
    }
  });

  it('reluJacobian puts 1 on the diagonal where z > 0 only', () => {
    expect(reluJacobian([-1, 0, 2, -0, 1e-300]).to2DArray()).toEqual([
      [0, 0, 0, 0, 0],
      [0, 0, 0, 0, 0],
      [0, 0, 1, 0, 0],
      [0, 0, 0, 0, 0],
      [0, 0, 0, 0, 1],
    ]);
  });
});

/** The report's `regularized_gradient`: round((w + c)/(|w| + c)) in place of sign(w), c = 1e-6. */
/** The report's code on W (2-D) or b (1-D in numpy: `bias` here). */
const reportRegularisedGradient = (w: Matrix, role: 'weight' | 'bias'): Matrix => {
  const c = 1e-6;
  const roundSign = (v: number) => Math.round((v + c) / (Math.abs(v) + c));
  const rows = w.to2DArray();
  if (role === 'bias') return new Matrix(rows.map((r) => r.map(roundSign)));
  const norms = rows[0]!.map((_, j) => rows.reduce((s, r) => s + Math.abs(r[j]!), 0));
  const jStar = norms.indexOf(Math.max(...norms));
  return new Matrix(rows.map((r) => r.map((v, j) => (j === jStar ? roundSign(v) : 0))));
};

describe('l1MaxColumnSubgradient (section 1.7)', () => {
  const smallInts = fc
    .tuple(fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 6 }))
    .chain(([r, c]) =>
      fc
        .array(fc.integer({ min: -2, max: 2 }), { minLength: r * c, maxLength: r * c })
        .map((vs) => Matrix.from1DArray(r, c, vs)),
    );

  const roles = fc.constantFrom('weight' as const, 'bias' as const);

  test.prop([fc.oneof(smallInts, arbMatrix({ rows: [1, 6], cols: [1, 6] })), roles])(
    'equals nn’s l1MaxColumn.subgradient, ties and zeros included',
    (w, role) => {
      expect(l1MaxColumnSubgradient(w, role).to2DArray()).toEqual(
        l1MaxColumn.subgradient(w, role).to2DArray(),
      );
    },
  );

  it('takes the first column on ties, sign(0) = 0, and sign(b) for a bias', () => {
    const w = Matrix.from1DArray(3, 3, [0, 2, -2, 2, 0, 0, -1, -1, 1]);
    expect(l1MaxColumnSubgradient(w, 'weight').to2DArray()).toEqual([
      [0, 0, 0],
      [1, 0, 0],
      [-1, 0, 0],
    ]);
    expect(l1MaxColumnSubgradient(Matrix.rowVector([0.5, 0, -3]), 'bias').to2DArray()).toEqual([
      [1, 0, -1],
    ]);
    expect(l1MaxColumnSubgradient(Matrix.rowVector([0.5, 0, -3]), 'weight').to2DArray()).toEqual([
      [0, 0, -1],
    ]);
  });

  test.prop([arbMatrix({ rows: [1, 6], cols: [1, 6], awayFrom: [0], margin: 1e-5 }), roles])(
    'agrees with the report’s rounding trick away from 0',
    (w, role) => {
      expect(l1MaxColumnSubgradient(w, role).to2DArray()).toEqual(
        reportRegularisedGradient(w, role).to2DArray(),
      );
    },
  );

  it('departs from the report’s code at 0 and tiny negatives (DESIGN.md: sign(0) = 0)', () => {
    const b = Matrix.rowVector([0, -1e-7, -1e-6]);
    expect(reportRegularisedGradient(b, 'bias').to2DArray()).toEqual([[1, 1, 0]]);
    expect(l1MaxColumnSubgradient(b, 'bias').to2DArray()).toEqual([[0, -1, -1]]);
  });
});

describe('reportUpdate (section 1.8) against nn’s optimiser', () => {
  const sgdL1Step = (params: MlpParams, grads: MlpParams, lr: number, lambda: number) => {
    const opt = chain(addRegulariser(l1MaxColumn, lambda), sgd(lr));
    const [updates] = opt.update(grads, opt.init(params), params);
    return applyUpdates(params, updates);
  };

  test.prop([
    arbProblem,
    fc.double({ min: 1e-3, max: 0.5, noNaN: true }),
    fc.double({ min: 0, max: 0.1, noNaN: true }),
  ])(
    'chain(addRegulariser(l1MaxColumn, λ), sgd(η)) with tape grads = reportUpdate with analytic grads',
    (problem, lr, lambda) => {
      const [, tapeGrads] = tapeSce(problem);
      const { grads } = reportGradients(problem.params, problem.X, problem.labels);
      const expected = reportUpdate(problem.params, grads, lr, lambda);
      expectTreesClose(
        sgdL1Step(problem.params, tapeGrads, lr, lambda),
        expected,
        1e-12,
        1e-14,
        'step',
      );
    },
  );

  it('moves each weight by −η(∇W + λ ∂R(W)) on a hand example', () => {
    const params: MlpParams = [
      { W: Matrix.from1DArray(2, 2, [1, -3, 2, 0]), b: Matrix.rowVector([0, -0.5]) },
    ];
    const grads: MlpParams = [
      { W: Matrix.from1DArray(2, 2, [0.1, 0.2, 0.3, 0.4]), b: Matrix.rowVector([1, 1]) },
    ];
    const [next] = reportUpdate(params, grads, 0.5, 0.1);
    if (next === undefined || !('W' in next)) throw new Error('expected one dense layer');
    // column norms 3, 3 → j* = 0: ∂R = [[1, 0], [1, 0]]; bias ∂R = [0, −1]
    expect(next.W).toBeAllclose(Matrix.from1DArray(2, 2, [0.9, -3.1, 1.8, -0.2]), { rtol: 1e-15 });
    expect(next.b).toBeAllclose(Matrix.rowVector([-0.5, -0.95]), { rtol: 1e-15 });
  });
});

describe('the report’s model: 784-100-100-10, batch 50 (fixed seed)', () => {
  const [kInit, kX, kY] = split(key(6850), 3);
  const model = modelFromSpec(reportModelSpec);
  const [initial] = model.init(kInit, [784]);
  const params = mlpParams(initial);
  const X = normal(kX, 50, 784);
  const labels = Array.from(randomInts(kY, 50, 10));
  const problem: Problem = { widths: [784, 100, 100, 10], params, X, labels };
  let analytic: ReturnType<typeof reportGradients>;
  beforeAll(() => {
    analytic = reportGradients(params, X, labels);
  });

  it('tape and analytic gradients agree to 1e-10 on both loss forms', () => {
    const [lossNll, gNll] = tapeNll(problem);
    const [lossSce, gSce] = tapeSce(problem);
    expectLossClose(lossNll, analytic.loss);
    expectLossClose(lossSce, analytic.loss);
    expectTreesClose(gNll, analytic.grads, 1e-10, 0, 'tapeNll');
    expectTreesClose(gSce, analytic.grads, 1e-10, 0, 'tapeSce');
  });

  it('both match central differences along random directions', () => {
    const report = checkGrad(
      (p: Params) => softmaxCrossEntropy(model.apply(p, X), labels),
      initial,
      {
        mode: 'directions',
        directions: 2,
        key: key(1),
      },
    );
    expect(report.ok, report.message).toBe(true);
    // ⟨∇L, u⟩ against (L(p + εu) − L(p − εu)) / 2ε for one Gaussian direction u over all leaves,
    // checking the ReLU on/off pattern is the same at p ± εu (no kink crossed).
    const eps = 1e-6;
    const dirKeys = split(key(2), 6);
    const directions = params.map(
      (p, l): LayerLeaves =>
        'W' in p
          ? {
              W: normal(dirKeys[l]!, p.W.rows, p.W.columns),
              b: normal(dirKeys[l + 1]!, 1, p.b.columns),
            }
          : {},
    );
    const moved = (t: number) =>
      params.map((p, l): LayerLeaves => {
        const d = directions[l]!;
        if (!('W' in p) || !('W' in d)) return p;
        return { W: Matrix.add(p.W, Matrix.mul(d.W, t)), b: Matrix.add(p.b, Matrix.mul(d.b, t)) };
      });
    const pattern = (ps: MlpParams) =>
      reportForward(ps, X)
        .inputs.filter((_, i) => !('W' in params[i]!))
        .map((z) => z.to1DArray().map((v) => v > 0));
    expect(pattern(moved(eps))).toEqual(pattern(params));
    expect(pattern(moved(-eps))).toEqual(pattern(params));
    const numeric =
      (reportForward(moved(eps), X, labels).loss! - reportForward(moved(-eps), X, labels).loss!) /
      (2 * eps);
    const a = treeFlatten(analytic.grads).leaves;
    const u = treeFlatten(directions).leaves;
    const directional = a.reduce((s, g, i) => {
      const ui = u[i]!.to1DArray();
      return s + g.to1DArray().reduce((t, v, j) => t + v * ui[j]!, 0);
    }, 0);
    worst.fd = Math.max(worst.fd, Math.abs(directional - numeric) / Math.abs(numeric));
    expect(directional).toBeAllclose(numeric, { rtol: 1e-6, atol: 0 });
  });

  it('one SGD + L1 step (η 0.05, λ 0.001) through nn equals reportUpdate', () => {
    const [, gSce] = tapeSce(problem);
    const opt = chain(addRegulariser(l1MaxColumn, 0.001), sgd(0.05));
    const [updates] = opt.update(gSce, opt.init(params), params);
    const expected = reportUpdate(params, analytic.grads, 0.05, 0.001);
    expectTreesClose(applyUpdates(initial, updates), expected, 1e-12, 0, 'step');
  });
});

describe('errors', () => {
  it('names the entry and the shapes that do not chain', () => {
    const params: MlpParams = [{ W: new Matrix(3, 2), b: new Matrix(1, 2) }];
    expect(() => reportGradients(params, new Matrix(1, 4), [0])).toThrow(
      'reportGradients: params[0] expects W 4xN and b 1xN, got W 3x2 and b 1x2',
    );
    expect(() => reportForward([{ W: new Matrix(2, 2) } as never], new Matrix(1, 2))).toThrow(
      'reportForward: params[0] must be {W, b} (a dense layer) or {} (a ReLU), got keys [W]',
    );
    expect(() =>
      reportGradients([{ W: new Matrix(2, 2), b: new Matrix(1, 2) }], new Matrix(1, 2), [2]),
    ).toThrow('reportGradients: label 0 is 2, expected an integer in [0, 2)');
  });
});
