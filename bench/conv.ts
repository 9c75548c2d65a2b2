/**
 * One forward and backward pass of a LeNet-style convolution stack on a batch of 50 random
 * 1 × 28 × 28 images: conv 5 × 5 (8 filters, same) → relu → max-pool 2 → conv 5 × 5 (16, valid) →
 * relu → max-pool 2 → dense 400 → 10 → softmax cross-entropy. Reports the median milliseconds of
 * the whole gradient and of its parts, so a training epoch (1 200 such batches) can be estimated.
 *
 * Run: `node --conditions=@difftape/source --import tsx bench/conv.ts`
 */
import {
  conv2d,
  convGeometry,
  geometryArgs,
  im2col,
  key,
  matmul,
  maxPool2d,
  normal,
  poolGeometry,
  randomInts,
  relu,
  softmaxCrossEntropy,
  split,
  type Tensor,
  valueAndGrad,
} from '@difftape/core';
import { compareInterleaved } from './timing.js';

const batch = 50;
const [kx, k1, k2, k3, ky] = split(key(0), 5);
const conv1 = convGeometry([1, 28, 28], { kernel: 5, padding: 'same' });
const pool1 = poolGeometry([8, 28, 28], { window: 2 });
const conv2 = convGeometry([8, 14, 14], { kernel: 5 });
const pool2 = poolGeometry([16, 10, 10], { window: 2 });
const x = normal(kx!, batch, 784);
const labels = Array.from(randomInts(ky!, batch, 10));
const params = {
  c1: normal(k1!, 25, 8, 0.2),
  c2: normal(k2!, 200, 16, 0.07),
  d: normal(k3!, 400, 10, 0.05),
};

const loss = (p: typeof params | { c1: Tensor; c2: Tensor; d: Tensor }) => {
  const h1 = maxPool2d(relu(conv2d(x, p.c1, conv1)), pool1);
  const h2 = maxPool2d(relu(conv2d(h1, p.c2, conv2)), pool2);
  return softmaxCrossEntropy(matmul(h2, p.d), labels);
};
const h1 = maxPool2d(relu(conv2d(x, params.c1, conv1)), pool1);

const timings = compareInterleaved([
  { name: 'loss and gradient (forward + backward)', run: () => valueAndGrad(loss)(params) },
  { name: 'forward only', run: () => loss(params) },
  { name: 'im2col, layer 1 (50x784 → 25x39200)', run: () => im2col(x, ...geometryArgs(conv1)) },
  { name: 'im2col, layer 2 (50x1568 → 200x5000)', run: () => im2col(h1, ...geometryArgs(conv2)) },
  { name: 'conv2d, layer 2', run: () => conv2d(h1, params.c2, conv2) },
  {
    name: 'maxPool2d, layer 1 (50x6272 → 50x1568)',
    run: () => maxPool2d(relu(conv2d(x, params.c1, conv1)), pool1),
  },
]);
console.log(`conv stack, batch ${batch}, median ms per call (node ${process.version})`);
for (const t of timings) console.log(`${t.medianMs.toFixed(2).padStart(9)}  ${t.name}`);
