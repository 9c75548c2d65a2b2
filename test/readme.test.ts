import { readFileSync } from 'node:fs';
import {
  add,
  checkGrad,
  filled,
  grad,
  key,
  matmul,
  normal,
  relu,
  softmaxCrossEntropy,
  split,
  sum,
  type Tensor,
  tanh,
  valueAndGrad,
} from '@difftape/core';
import { arbMatrix } from '@difftape/core/testing';
import {
  addRegulariser,
  chain,
  Dense,
  initTrainState,
  l1MaxColumn,
  makeStep,
  normalInit,
  Relu,
  Serial,
  sgd,
} from '@difftape/nn';
import { test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';

/** The README's examples, run as written (kept in step by the check on the README text below). */
describe("the README's examples", () => {
  type Params = { W1: Tensor; b1: Tensor; W2: Tensor; b2: Tensor };
  const [k1, k2] = split(key(0), 2);
  const params: Params = {
    W1: normal(k1!, 4, 8, 0.5),
    b1: filled(1, 8, 0),
    W2: normal(k2!, 8, 3, 0.5),
    b2: filled(1, 3, 0),
  };
  const x = normal(key(1), 16, 4);
  const labels = Array.from({ length: 16 }, (_, i) => i % 3);
  const loss = (p: Params) =>
    softmaxCrossEntropy(add(matmul(relu(add(matmul(x, p.W1), p.b1)), p.W2), p.b2), labels);

  it('valueAndGrad returns the loss and matrices in the structure of the parameters', () => {
    const [value, g] = valueAndGrad(loss)(params); // value: a number; g: { W1, b1, W2, b2 } as matrices
    expect(value).toBeGreaterThan(0);
    expect(g.b2).toBeAllclose(grad(loss)(params).b2, { rtol: 0, atol: 0 });
    expect(Object.keys(g).sort()).toEqual(['W1', 'W2', 'b1', 'b2']);
    expect([g.W1.rows, g.W1.columns]).toEqual([4, 8]);
    const report = checkGrad(loss, params);
    expect(report.ok, report.message).toBe(true);
  });

  test.prop([arbMatrix({ rows: 4, cols: 3, awayFrom: [0] })])(
    'my layer has the right gradient',
    (w) => {
      const r = checkGrad((p: Tensor) => sum(tanh(matmul(x, relu(p)))), w);
      if (!r.ok) throw new Error(r.message);
    },
  );

  it('the nn version takes a step with the report update rule and lowers the loss', () => {
    const model = Serial(Dense(8, { init: normalInit(0.5) }), Relu, Dense(3));
    const optimiser = chain(addRegulariser(l1MaxColumn, 1e-4), sgd(0.05));
    const step = makeStep(model, softmaxCrossEntropy, optimiser);
    let state = initTrainState(model.init(key(2), 4)[0], optimiser);
    const [next, first] = step(state, { x, y: labels });
    state = next;
    for (let i = 0; i < 50; i++) [state] = step(state, { x, y: labels });
    expect(step(state, { x, y: labels })[1].loss).toBeLessThan(first.loss);
  });

  it('the README still shows these examples', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    for (const line of [
      'const loss = (p: Params) => softmaxCrossEntropy(add(matmul(relu(add(matmul(x, p.W1), p.b1)), p.W2), p.b2), labels);',
      'const model = Serial(Dense(8, { init: normalInit(0.5) }), Relu, Dense(3));',
      'const optimiser = chain(addRegulariser(l1MaxColumn, 1e-4), sgd(0.05)); // W ← W − η(∇W + λ∂R(W))',
      'const report = checkGrad(loss, params);',
      "import { arbMatrix } from '@difftape/core/testing';",
      '  const r = checkGrad((p: Tensor) => sum(tanh(matmul(x, relu(p)))), w);',
      'const [value, g] = valueAndGrad(loss)(params); // value: a number; g: { W1, b1, W2, b2 } as matrices',
    ]) {
      expect(readme).toContain(line);
    }
  });
});
