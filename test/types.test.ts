/**
 * Type-level pins: these inferences are what the signatures promise, so `tsc` (the typecheck step
 * of CI) fails if one regresses. The runtime checks beside them keep vitest honest about the values.
 */
import {
  add,
  type Grads,
  type Key,
  key,
  Matrix,
  matmul,
  type Op,
  relu,
  split,
  sum,
  type Tensor,
  type Traceable,
  valueAndGrad,
} from '@difftape/core';
import {
  adam,
  type CountState,
  chain,
  Dense,
  type DenseParams,
  initTrainState,
  type Layer,
  makeStep,
  type NoParams,
  Relu,
  Serial,
  sgd,
  softmaxCrossEntropy,
  type TrainState,
} from '@difftape/nn';
import { describe, expect, expectTypeOf, it } from 'vitest';

const m = Matrix.ones(2, 2);

describe('core types', () => {
  it('an op on raw inputs returns a Matrix, on any traced input a Tensor', () => {
    expectTypeOf(add(m, 1)).toEqualTypeOf<Matrix>();
    expectTypeOf(relu(matmul(m, m))).toEqualTypeOf<Matrix>();
    const traced = (x: Tensor): Tensor => x;
    expectTypeOf(add(traced(m), m)).toEqualTypeOf<Tensor>();
    expect(add(m, 1)).toBeInstanceOf(Matrix);
  });

  it('an op is an Op over its inputs', () => {
    expectTypeOf(matmul).toEqualTypeOf<Op<[a: Tensor, b: Tensor]>>();
    expectTypeOf(matmul).toBeCallableWith(m, m);
  });

  it('split gives an n-tuple of keys for a literal n, an array otherwise', () => {
    const [a, b] = split(key(0), 2);
    expectTypeOf(a).toEqualTypeOf<Key>();
    expectTypeOf(b).toEqualTypeOf<Key>();
    expectTypeOf(split(key(0), 3)).toEqualTypeOf<[Key, Key, Key]>();
    const n: number = 4;
    expectTypeOf(split(key(0), n)).toEqualTypeOf<Key[]>();
    expect(split(key(0), 3)).toHaveLength(3);
  });

  it('valueAndGrad returns gradients shaped like the parameters', () => {
    const params = { W: m, b: Matrix.zeros(1, 2) };
    const [value, g] = valueAndGrad((p: Traceable<typeof params>) =>
      sum(add(matmul(p.W, p.W), p.b)),
    )(params);
    expectTypeOf(value).toEqualTypeOf<number>();
    expectTypeOf(g).toEqualTypeOf<{ W: Matrix; b: Matrix }>();
    expectTypeOf<Grads<[Tensor, { x: Tensor }]>>().toEqualTypeOf<[Matrix, { x: Matrix }]>();
  });
});

describe('nn types', () => {
  const model = Serial(Dense(3), Relu, Dense(2));

  it('Dense is a Layer<{W, b}> and Serial infers the tuple of its layers’ parameters', () => {
    expectTypeOf(Dense(3)).toEqualTypeOf<Layer<DenseParams>>();
    expectTypeOf(Relu).toEqualTypeOf<Layer<NoParams>>();
    const [params] = model.init(key(0), [4]);
    expectTypeOf(params).toEqualTypeOf<[DenseParams, NoParams, DenseParams]>();
    expectTypeOf(params[0].W).toEqualTypeOf<Matrix>();
    expect(params[0].W.rows).toBe(4);
  });

  it('chain is typed over its transformations’ states', () => {
    const opt = chain(sgd(0.1), adam(0.01));
    const state = opt.init([]);
    expectTypeOf(state[0]).toEqualTypeOf<[CountState]>();
    expectTypeOf(state[1][1]).toEqualTypeOf<CountState>();
  });

  it('makeStep and initTrainState infer TrainState<P, S> from the model and the optimiser', () => {
    const optimiser = sgd(0.1);
    const step = makeStep(model, softmaxCrossEntropy, optimiser);
    const state = initTrainState(model.init(key(0), [4])[0], optimiser);
    type Expected = TrainState<[DenseParams, NoParams, DenseParams], [CountState]>;
    expectTypeOf(state).toEqualTypeOf<Expected>();
    const [next, { loss }] = step(state, { x: Matrix.ones(5, 4), y: [0, 1, 0, 1, 1] });
    expectTypeOf(next).toEqualTypeOf<Expected>();
    expectTypeOf(loss).toEqualTypeOf<number>();
    expect(next.params[2].b.columns).toBe(2);
  });
});
