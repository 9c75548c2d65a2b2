// A two-layer network's loss and its gradient with @difftape/core alone, checked against central
// differences. Run: npx -y pnpm@12.21.0 example examples/value-and-grad.ts
import {
  add,
  checkGrad,
  filled,
  foldIn,
  key,
  matmul,
  normal,
  relu,
  softmaxCrossEntropy,
  type Tensor,
  valueAndGrad,
} from '@difftape/core';

type Params = { W1: Tensor; b1: Tensor; W2: Tensor; b2: Tensor };
const root = key(0); // one seed; foldIn derives an independent key for each use
const params: Params = {
  W1: normal(foldIn(root, 1), 4, 8, 0.5),
  b1: filled(1, 8, 0),
  W2: normal(foldIn(root, 2), 8, 3, 0.5),
  b2: filled(1, 3, 0),
};
const x = normal(foldIn(root, 3), 16, 4); // 16 samples, 4 features
const labels = Array.from({ length: 16 }, (_, i) => i % 3);

const loss = (p: Params) =>
  softmaxCrossEntropy(add(matmul(relu(add(matmul(x, p.W1), p.b1)), p.W2), p.b2), labels);
const [value, g] = valueAndGrad(loss)(params); // value: a number; g: { W1, b1, W2, b2 } as matrices
console.log(`loss ${value.toFixed(4)}; dW1 is ${g.W1.rows} x ${g.W1.columns}`);

const report = checkGrad(loss, params); // full Jacobian when small, random vᵀJu otherwise
if (!report.ok) throw new Error(report.message); // names the worst leaf, index, both values
console.log('the gradient matches central differences');
