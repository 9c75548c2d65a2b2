/**
 * A hand-written float64 training step for a ReLU MLP (dense, relu, ..., dense) with mean softmax
 * cross-entropy and the report's L1 max-column SGD update: the floor that bench/train-step.ts
 * measures the tape's overhead against. Same matmul kernels as the tape (`matmulNN`, `matmulTN`,
 * `matmulNT`), plain loops for the rest, no tape, no closures, no broadcasting. Used only by the
 * bench; every function returns fresh matrices and never writes into its inputs.
 */
import type { Matrix } from '@difftape/core';
import { alloc, matmulNN, matmulNT, matmulTN, rowsOf, shapeString } from '@difftape/core/kernels';

/** One dense layer's parameters: W (in × out) and the 1 × out bias b. */
export interface DenseLayer {
  readonly W: Matrix;
  readonly b: Matrix;
}

/** The loss on a batch and its gradient for every layer (same order and shapes as the layers). */
export interface LossAndGrad {
  readonly loss: number;
  readonly grads: DenseLayer[];
}

/** x·W + b into a fresh matrix, then max(0, ·) in place when `relu`. */
const denseForward = (x: Matrix, { W, b }: DenseLayer, relu: boolean): Matrix => {
  const z = matmulNN(x, W);
  const bias = rowsOf(b)[0]!;
  for (const row of rowsOf(z) as Float64Array[]) {
    for (let j = 0; j < row.length; j++) {
      const v = row[j]! + bias[j]!;
      row[j] = relu && !(v > 0) ? 0 : v;
    }
  }
  return z;
};

/** Column sums of g as a fresh 1 × n matrix: the bias gradient. */
const columnSums = (g: Matrix): Matrix => {
  const [m, out] = alloc(1, g.columns);
  const dst = out[0]!;
  for (const row of rowsOf(g)) for (let j = 0; j < row.length; j++) dst[j]! += row[j]!;
  return m;
};

/**
 * Mean softmax cross-entropy of `logits` against class `labels`, and its gradient w.r.t. the
 * logits, (softmax − onehot) / m, computed the way the tape's fused op does (exp(x − lse)).
 */
const softmaxCrossEntropyGrad = (
  logits: Matrix,
  labels: ArrayLike<number>,
): { loss: number; grad: Matrix } => {
  const m = logits.rows;
  const [grad, out] = alloc(m, logits.columns);
  const xs = rowsOf(logits);
  let total = 0;
  for (let i = 0; i < m; i++) {
    const x = xs[i]!;
    const y = labels[i]!;
    let max = Number.NEGATIVE_INFINITY;
    for (let j = 0; j < x.length; j++) if (x[j]! > max) max = x[j]!;
    let s = 0;
    for (let j = 0; j < x.length; j++) s += Math.exp(x[j]! - max);
    const lse = max + Math.log(s);
    total += lse - x[y]!;
    const dst = out[i]!;
    for (let j = 0; j < x.length; j++) dst[j] = (Math.exp(x[j]! - lse) - (j === y ? 1 : 0)) / m;
  }
  return { loss: total / m, grad };
};

/**
 * Loss and gradient of a ReLU MLP by hand-written backprop: ReLU after every layer but the last,
 * mean softmax cross-entropy on the last layer's logits. `x` is a constant (no gradient).
 */
export const mlpLossAndGrad = (
  layers: readonly DenseLayer[],
  x: Matrix,
  labels: ArrayLike<number>,
): LossAndGrad => {
  if (labels.length !== x.rows) {
    throw new RangeError(`mlpLossAndGrad: ${x.rows} rows of x but ${labels.length} labels`);
  }
  // Forward: acts[l] is the input of layer l; a hidden activation h > 0 exactly where z > 0.
  const acts: Matrix[] = [x];
  layers.forEach((layer, l) => {
    const input = acts[l]!;
    if (input.columns !== layer.W.rows) {
      throw new RangeError(
        `mlpLossAndGrad: layer ${l} has W ${shapeString(layer.W)} but its input is ${shapeString(input)}`,
      );
    }
    acts.push(denseForward(input, layer, l < layers.length - 1));
  });
  const { loss, grad } = softmaxCrossEntropyGrad(acts[layers.length]!, labels);

  // Backward: dz is the cotangent of layer l's pre-activation.
  const grads: DenseLayer[] = new Array(layers.length);
  let dz = grad;
  for (let l = layers.length - 1; l >= 0; l--) {
    const input = acts[l]!;
    grads[l] = { W: matmulTN(input, dz), b: columnSums(dz) };
    if (l === 0) break;
    // dh = dz·Wᵀ (fresh, so the ReLU mask may be applied in place), dz = dh ⊙ [h > 0]
    const dh = matmulNT(dz, layers[l]!.W);
    const hs = rowsOf(input);
    (rowsOf(dh) as Float64Array[]).forEach((row, i) => {
      const h = hs[i]!;
      for (let j = 0; j < row.length; j++) if (!(h[j]! > 0)) row[j] = 0;
    });
    dz = dh;
  }
  return { loss, grads };
};

/**
 * p − lr·(g + λ·∂R(p)) into a fresh matrix, with ∂R the report's L1 max-column subgradient:
 * sign(W[:, j*]) in the column j* of largest Σᵢ|W[i, j]| (first on ties), sign(b) for a one-row b.
 */
export const l1MaxColumnSgd = (p: Matrix, g: Matrix, lr: number, lambda: number): Matrix => {
  const ps = rowsOf(p);
  const gs = rowsOf(g);
  let column = -1; // −1: a one-row leaf, whose subgradient is sign(p) everywhere
  if (p.rows !== 1) {
    const sums = new Float64Array(p.columns);
    for (const row of ps) for (let j = 0; j < row.length; j++) sums[j]! += Math.abs(row[j]!);
    column = 0;
    for (let j = 1; j < sums.length; j++) if (sums[j]! > sums[column]!) column = j;
  }
  const [next, out] = alloc(p.rows, p.columns);
  for (let i = 0; i < p.rows; i++) {
    const pr = ps[i]!;
    const gr = gs[i]!;
    const dst = out[i]!;
    for (let j = 0; j < pr.length; j++) {
      const sub = column < 0 || j === column ? Math.sign(pr[j]!) || 0 : 0;
      dst[j] = pr[j]! + -lr * (gr[j]! + sub * lambda);
    }
  }
  return next;
};

/** One training step: loss and gradient on the batch, then the L1 max-column SGD update. */
export const baselineStep = (
  layers: readonly DenseLayer[],
  x: Matrix,
  labels: ArrayLike<number>,
  { lr, lambda }: { readonly lr: number; readonly lambda: number },
): { loss: number; layers: DenseLayer[] } => {
  const { loss, grads } = mlpLossAndGrad(layers, x, labels);
  return {
    loss,
    layers: layers.map((layer, l) => ({
      W: l1MaxColumnSgd(layer.W, grads[l]!.W, lr, lambda),
      b: l1MaxColumnSgd(layer.b, grads[l]!.b, lr, lambda),
    })),
  };
};
