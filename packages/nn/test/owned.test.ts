import {
  fromFlat,
  type Matrix,
  square,
  sum,
  type Tensor,
  toFlat,
  treeFlatten,
  treeMap,
  treeZip,
} from '@difftape/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  addDecayedWeights,
  addRegulariser,
  applyUpdates,
  chain,
  clipByGlobalNorm,
  Dense,
  type DenseParams,
  type GradientTransformation,
  l1,
  l1MaxColumn,
  makeStep,
  type Params,
  scale,
  scaleByAdam,
  scaleByLearningRate,
  scaleByRms,
  sgd,
  traceMomentum,
} from '../src/index.js';
import { addIntoOwned, withOwnedScope } from '../src/optim/owned.js';
import { M } from './helpers.js';

/**
 * The optimisers write into update matrices they made themselves (optim/owned.ts). These tests
 * hold them to the same bits as the same stages run with no ownership at all, and check that no
 * matrix a caller or a user's stage can see ever changes.
 */

/** `t` as a stage of unknown habits: the chain gives it nothing owned and takes nothing from it. */
const opaque = <S>(t: GradientTransformation<S>): GradientTransformation<S> => ({
  init: (p) => t.init(p),
  update: (u, s, p) => t.update(u, s, p),
});

// Each optimiser as stages, so the reference can run every stage opaque (fresh matrices throughout).
const STAGES: Record<string, () => GradientTransformation[]> = {
  'l1MaxColumn + sgd (the report)': () => [addRegulariser(l1MaxColumn, 1e-2), sgd(0.05)],
  'l1 + lr': () => [addRegulariser(l1, 0.3), scaleByLearningRate(0.1)],
  'adam + decay + lr': () => [scaleByAdam(), addDecayedWeights(0.01), scaleByLearningRate(0.01)],
  'nesterov + lr': () => [traceMomentum(0.9, true), scaleByLearningRate(0.1)],
  'momentum + lr': () => [traceMomentum(0.9), scaleByLearningRate(0.1)],
  'clip + scale + scale': () => [clipByGlobalNorm(1), scale(-3), scale(0.7)],
  'rms + lr': () => [scaleByRms(), scaleByLearningRate(0.1)],
  // adam reads its input through core's ops: the deferred factor must be applied before
  'l1 + scale + adam + lr': () => [
    addRegulariser(l1, 0.1),
    scale(2),
    scaleByAdam(),
    scaleByLearningRate(0.1),
  ],
  'nested chains': () => [chain(addRegulariser(l1MaxColumn, 0.5), scale(0.5)), sgd(0.2)],
};

const entry = fc.oneof(
  { weight: 1, arbitrary: fc.constantFrom(0, -0, Number.NaN, Infinity, -Infinity) },
  { weight: 8, arbitrary: fc.double({ min: -10, max: 10, noNaN: true }) },
);
const arbM = (r: number, c: number) =>
  fc.array(entry, { minLength: r * c, maxLength: r * c }).map((vs) => fromFlat(r, c, vs));
// the parameters and three gradients of one random two-layer shape
const arbRun = fc
  .tuple(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 9 }))
  .chain(([r, c]) => {
    const tree = fc
      .tuple(arbM(r, c), arbM(1, c), arbM(c, 2), arbM(1, 2))
      .map(([W, b, W2, b2]): Params => ({ layer: { W, b }, out: { W: W2, b: b2 } }));
    return fc.tuple(tree, fc.array(tree, { minLength: 3, maxLength: 3 }));
  });

/** Entries as a list that tells −0 from 0 and keeps NaN equal to NaN. */
const bits = (t: Params) =>
  treeFlatten(t).leaves.flatMap((m) => Array.from(toFlat(m), (v) => (Object.is(v, -0) ? '-0' : v)));
const copy = (t: Params): Params => treeMap(t, (m: Matrix) => m.clone());

/** Three steps of makeStep's update (the owned path) and of the all-opaque reference. */
const threeSteps = (stages: GradientTransformation[], p0: Params, grads: Params[]) => {
  const owned = chain(...stages);
  const reference = chain(...stages.map(opaque));
  let [p, q] = [p0, p0];
  let [s, r] = [owned.init(p0), reference.init(p0)];
  for (const g of grads) {
    [p, s] = withOwnedScope(() => {
      const [u, next] = owned.update(g, s, p);
      return [treeZip(p, u, addIntoOwned), next] as const;
    });
    const [v, nextR] = reference.update(g, r, q);
    [q, r] = [applyUpdates(q, v), nextR];
  }
  return { owned: p, reference: q };
};

describe('owned updates', () => {
  for (const [name, stages] of Object.entries(STAGES)) {
    it(`${name}: the same bits as fresh matrices, inputs untouched`, () => {
      fc.assert(
        fc.property(arbRun, ([p0, grads]) => {
          const before = [copy(p0), ...grads.map(copy)];
          const { owned, reference } = threeSteps(stages(), p0, grads);
          expect(bits(owned)).toEqual(bits(reference));
          expect([p0, ...grads].map(bits)).toEqual(before.map(bits));
        }),
        { numRuns: 60 },
      );
    });
  }

  it('a chain called outside makeStep hands back settled updates, as fresh ones', () => {
    const p: DenseParams = { W: M(2, 2, [1, -2, 0.5, 0]), b: M(1, 2, [0, 0.3]) };
    const g: Params = { W: M(2, 2, [0.1, 0.2, -0.3, 0.4]), b: M(1, 2, [1, -1]) };
    const stages = STAGES['l1MaxColumn + sgd (the report)']!();
    const [u] = chain(...stages).update(g, chain(...stages).init(p), p);
    const [v] = chain(...stages.map(opaque)).update(g, chain(...stages).init(p), p);
    expect(bits(u)).toEqual(bits(v));
  });

  it("never writes into what a user's stage kept, nor into what a user's optimiser kept", () => {
    const model = Dense(2);
    const p: DenseParams = { W: M(3, 2, [1, -2, 0.5, 0, 3, -1]), b: M(1, 2, [0, 0.3]) };
    const batch = { x: M(2, 3, [1, 2, 3, -1, 0, 2]), y: [0, 1] };
    const kept: { matrix: Matrix; at: string }[] = [];
    const keep = (u: Params) => {
      for (const m of treeFlatten(u).leaves) kept.push({ matrix: m, at: String(bits(m)) });
    };
    // a stage that keeps what it gets and what it gives, made by a regulariser that could have
    // written in place, between two stages that own their output
    const keeper: GradientTransformation<null> = {
      init: () => null,
      update: (u, s, q) => {
        keep(u);
        const out = treeZip(u, q, (m: Matrix, w: Matrix) =>
          l1MaxColumn.addScaled!(m, w, 0.5, 'weight'),
        );
        keep(out);
        return [out, s];
      },
    };
    const inner = chain(addRegulariser(l1MaxColumn, 0.1), keeper, sgd(0.1));
    // an optimiser of the user's that keeps the chain's updates
    const keeping: typeof inner = {
      init: (q) => inner.init(q),
      update: (u, s, q) => {
        const [out, next] = inner.update(u, s, q);
        keep(out);
        return [out, next];
      },
    };
    const step = makeStep(model, (out: Tensor) => sum(square(out)), keeping);
    let state = { params: p, optState: keeping.init(p), step: 0 };
    for (let i = 0; i < 3; i++) [state] = step(state, batch);
    expect(kept.length).toBe(3 * (2 + 2 + 2));
    for (const { matrix, at } of kept) expect(String(bits(matrix))).toBe(at);
  });
});
