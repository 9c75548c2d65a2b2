import { checkGrad, grad, key, normal, softmax, type Tensor } from '@difftape/core';
import { arbEntries } from '@difftape/core/testing';
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { mse, nll, softmaxCrossEntropy } from '../src/index.js';
import { M } from './helpers.js';

const logitsAndLabels = fc
  .tuple(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 2, max: 5 }))
  .chain(([r, c]) =>
    fc.tuple(
      arbEntries(r, c, { min: -4, max: 4 }),
      fc.array(fc.integer({ min: 0, max: c - 1 }), { minLength: r, maxLength: r }),
    ),
  );

describe('losses', () => {
  test.prop([logitsAndLabels])(
    "the report's nll of softmax equals softmaxCrossEntropy of the logits, value and gradient",
    ([x, y]) => {
      expect(nll(softmax(x), y)).toBeAllclose(softmaxCrossEntropy(x, y), {
        rtol: 1e-12,
        atol: 1e-15,
      });
      const a = grad((p: Tensor) => nll(softmax(p), y))(x);
      const b = grad((p: Tensor) => softmaxCrossEntropy(p, y))(x);
      expect(a).toBeAllclose(b, { rtol: 1e-9, atol: 1e-12 });
    },
  );

  it('nll by hand: −mean log p[i, y[i]]', () => {
    const probs = M(2, 2, [0.25, 0.75, 0.5, 0.5]);
    expect(nll(probs, [1, 0])).toBeAllclose(M(1, 1, [-(Math.log(0.75) + Math.log(0.5)) / 2]), {
      rtol: 1e-15,
    });
    expect(() => nll(probs, [1])).toThrow('nll: probabilities are 2x2 but targets are 1x2');
  });

  it('mse: value, gradient and shape errors', () => {
    const p = M(1, 2, [1, 3]);
    const t = M(1, 2, [0, 1]);
    expect(mse(p, t)).toBeAllclose(M(1, 1, [2.5]));
    expect(grad((q: Tensor) => mse(q, t))(p)).toBeAllclose(M(1, 2, [1, 2]));
    expect(() => mse(p, M(2, 2, [0, 0, 0, 0]))).toThrow(
      'mse: predictions are 1x2 but targets are 2x2',
    );
    const report = checkGrad((q: Tensor) => mse(q, normal(key(0), 3, 2)), normal(key(1), 3, 2));
    expect(report.ok, report.message).toBe(true);
  });
});
