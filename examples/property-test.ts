// Property-test a function's gradient with fast-check: for every generated matrix, the tape's
// gradient matches central differences. Run: npx -y pnpm@12.21.0 example examples/property-test.ts
import { checkGrad, key, matmul, normal, relu, sum, type Tensor, tanh } from '@difftape/core';
import { arbMatrix } from '@difftape/core/testing';
import fc from 'fast-check';

const x = normal(key(1), 16, 4);
const layer = (w: Tensor) => sum(tanh(matmul(x, relu(w))));

// arbMatrix keeps entries off kinks (relu's 0), where central differences are meaningless
fc.assert(
  fc.property(arbMatrix({ rows: 4, cols: 3, awayFrom: [0] }), (w) => {
    const report = checkGrad(layer, w);
    if (!report.ok) throw new Error(report.message);
  }),
  { seed: 0, numRuns: 50 },
);
console.log('50 random matrices: the gradient matches central differences');
