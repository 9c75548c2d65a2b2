/**
 * The report's workload in TensorFlow.js (float32): the same MLP, mean softmax cross-entropy and
 * the L1 max-column SGD step, for bench/train-step.ts and bench/epoch.ts.
 */
import { createRequire } from 'node:module';
import { fromFlat, type Matrix, toFlat } from '@difftape/core';
import { reportConfig } from '@difftape/mnist';
import type * as TF from '@tensorflow/tfjs-core';
import type { DenseLayer } from './baseline.js';

export type Tf = typeof TF;

/** Loads tfjs-core, its gradients and a backend (the pure-JS cpu one, or wasm with SIMD), and selects it. */
export const loadTf = async (backend: 'cpu' | 'wasm'): Promise<Tf> => {
  const tf: Tf = await import('@tensorflow/tfjs-core');
  if (backend === 'cpu') await import('@tensorflow/tfjs-backend-cpu');
  // Loads its .wasm from node_modules (no network).
  else await import('@tensorflow/tfjs-backend-wasm');
  // tfjs-core's node bundle registers no gradients (the @tensorflow/tfjs union package does that);
  // its ESM dist file does, into tfjs's global registry. Required, so './gradients' resolves to
  // gradients.js rather than the directory of the same name.
  createRequire(import.meta.url)('@tensorflow/tfjs-core/dist/register_all_gradients.js');
  tf.env().set('PROD', true); // silences the "install tfjs-node" banner; no effect on kernels
  if (!(await tf.setBackend(backend))) throw new Error(`tfjs: backend ${backend} did not load`);
  await tf.ready();
  return tf;
};

/** tfjs parameters: W1, b1, W2, b2, W3, b3 as float32 tensors (biases 1 × n). */
export type TfParams = TF.Tensor2D[];

export const toTf = (tf: Tf, m: Matrix): TF.Tensor2D =>
  tf.tensor2d(Float32Array.from(toFlat(m)), [m.rows, m.columns]);

/** Class labels as a float32 one-hot tensor (10 classes). */
export const oneHotTf = (tf: Tf, labels: readonly number[]): TF.Tensor =>
  tf.cast(tf.oneHot(tf.tensor1d([...labels], 'int32'), 10), 'float32');

/** tfjs tensors W1, b1, W2, b2, ... back as float64 layers. */
export const fromTf = (ts: readonly TF.Tensor[]): DenseLayer[] => {
  const matrix = (t: TF.Tensor) => fromFlat(t.shape[0]!, t.shape[1]!, t.dataSync());
  return Array.from({ length: ts.length / 2 }, (_, l) => ({
    W: matrix(ts[2 * l]!),
    b: matrix(ts[2 * l + 1]!),
  }));
};

/** The same model, loss and step in tfjs, on float32 copies of the data. */
export const tfjsWorkload = (tf: Tf, x: Matrix, labels: readonly number[]) => {
  const xt = toTf(tf, x);
  const yt = oneHotTf(tf, labels);
  const lossOf =
    (xb: TF.Tensor2D, yb: TF.Tensor) =>
    (...ps: TF.Tensor[]) => {
      let h: TF.Tensor = xb;
      for (let l = 0; l < ps.length; l += 2) {
        const z = tf.add(tf.matMul(h as TF.Tensor2D, ps[l] as TF.Tensor2D), ps[l + 1]!);
        h = l + 2 < ps.length ? tf.relu(z) : z;
      }
      return tf.losses.softmaxCrossEntropy(yb, h) as TF.Scalar;
    };
  /** L1 max-column subgradient: sign(W) in the column of largest Σ|W| (first on ties), sign(b). */
  const subgradient = (p: TF.Tensor2D): TF.Tensor =>
    p.shape[0] === 1
      ? tf.sign(p)
      : tf.mul(tf.sign(p), tf.oneHot(tf.argMax(tf.sum(tf.abs(p), 0)), p.shape[1]));
  const { lr, lambda } = reportConfig;
  /** New parameters and the loss; call inside tf.tidy. */
  const step = (ps: TfParams, xb = xt, yb: TF.Tensor = yt): [TfParams, TF.Scalar] => {
    const { value, grads } = tf.valueAndGrads(lossOf(xb, yb))(ps);
    const next = ps.map((p, i) =>
      tf.sub(p, tf.mul(lr, tf.add(grads[i]!, tf.mul(lambda, subgradient(p))))),
    ) as TfParams;
    return [next, value as TF.Scalar];
  };
  const gradOnly = (ps: TfParams): [TF.Tensor[], TF.Scalar] => {
    const { value, grads } = tf.valueAndGrads(lossOf(xt, yt))(ps);
    return [grads, value as TF.Scalar];
  };
  return { step, gradOnly };
};
