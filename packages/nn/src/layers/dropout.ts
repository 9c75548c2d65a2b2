import { alloc, mul, rowsOf, uniform } from '@difftape/core';
import type { Layer, NoParams } from '../layer.js';
import { checkNumber, unitRate } from '../numbers.js';

/**
 * Inverted dropout: in training each entry is zeroed with probability `rate` and the rest scaled
 * by 1 / (1 − rate), with the mask drawn from the context's key; in evaluation the identity.
 */
export const Dropout = (rate: number): Layer<NoParams> => {
  const name = `Dropout(${rate})`;
  checkNumber(`${name}: rate`, rate, unitRate);
  const kept = 1 / (1 - rate);
  return {
    name,
    outputShape: (shape) => shape,
    init: (_key, inputShape) => [{}, inputShape],
    apply: (_params, x, context) => {
      if (context?.train !== true || rate === 0) return x;
      if (context.key === undefined)
        throw new Error(
          `${name}: training needs a PRNG key in the apply context (makeStep's \`key\` option)`,
        );
      const [mask, rows] = alloc(x.rows, x.columns);
      rowsOf(uniform(context.key, x.rows, x.columns)).forEach((u, i) => {
        const row = rows[i]!;
        for (let j = 0; j < u.length; j++) row[j] = u[j]! < rate ? 0 : kept;
      });
      return mul(x, mask);
    },
  };
};
