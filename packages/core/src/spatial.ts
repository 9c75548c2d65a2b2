import { alloc, shapeString } from './matrix.js';
import { add } from './primitives/arithmetic.js';
import { geometryArgs, geometryOf, im2col, type WindowGeometry } from './primitives/conv.js';
import { matmul, matmulTN, transpose } from './primitives/linalg.js';
import { maxPoolGather } from './primitives/pool.js';
import { transposeChunks } from './primitives/shape.js';
import type { Tensor } from './tape.js';

/** Composite 2-D ops on batches of images, one image per row in channel-major (c, y, x) order. */

/** The shape of one image sample: channels, height, width. */
export type ImageShape = readonly [channels: number, height: number, width: number];

/** How a convolution slides: a square (or kernelH × kernelW) kernel, a stride, and a padding. */
export interface ConvOptions {
  readonly kernel: number | readonly [number, number];
  /** Default 1. */
  readonly stride?: number;
  /** 'valid' (default): windows inside the image; 'same': ⌈size / stride⌉ outputs, zero-padded evenly (the extra row or column at the bottom or right). */
  readonly padding?: 'same' | 'valid';
}

/** Where a convolution's windows lie on images of the given shape; throws naming what is wrong. */
export const convGeometry = (
  input: ImageShape,
  options: ConvOptions,
  op = 'conv2d',
): WindowGeometry => {
  const [channels, height, width] = input;
  const { kernel, stride = 1, padding = 'valid' } = options;
  const [kernelH, kernelW] = typeof kernel === 'number' ? [kernel, kernel] : kernel;
  if (padding !== 'same' && padding !== 'valid')
    throw new RangeError(
      `${op}: padding must be 'same' or 'valid', got ${JSON.stringify(padding)}`,
    );
  const axis = (size: number, k: number): [pad: number, out: number] => {
    if (padding === 'valid') return [0, Math.floor((size - k) / stride) + 1];
    const out = Math.ceil(size / stride);
    return [Math.floor(Math.max((out - 1) * stride + k - size, 0) / 2), out];
  };
  const [padTop, outHeight] = axis(height, kernelH);
  const [padLeft, outWidth] = axis(width, kernelW);
  const args = [channels, height, width, kernelH, kernelW, stride] as const;
  return geometryOf(op, [...args, padTop, padLeft, outHeight, outWidth]);
};

/** Options of a pooling: a square window and a stride (default: the window). */
export interface PoolOptions {
  readonly window: number;
  readonly stride?: number;
}

/** Where a pooling's windows lie (no padding: the last partial windows are dropped). */
export const poolGeometry = (
  input: ImageShape,
  options: PoolOptions,
  op = 'pool2d',
): WindowGeometry =>
  convGeometry(input, { kernel: options.window, stride: options.stride ?? options.window }, op);

/**
 * 2-D cross-correlation (what deep learning calls convolution): x N × (C·H·W), filters
 * (C·kernelH·kernelW) × F with rows in (c, ky, kx) order, an optional 1 × F bias;
 * result N × (F·outH·outW), channel-major. The filters times the patches (im2col) on the gemm
 * kernels give F × (N·outH·outW) in long rows; `transposeChunks` makes each sample a row.
 */
export const conv2d = (
  x: Tensor,
  filters: Tensor,
  geometry: WindowGeometry,
  bias?: Tensor,
): Tensor => {
  const g = geometry;
  const patchSize = g.channels * g.kernelH * g.kernelW;
  if (filters.rows !== patchSize)
    throw new RangeError(
      `conv2d: filters are ${shapeString(filters)}, expected ${patchSize} rows (${g.channels}x${g.kernelH}x${g.kernelW})`,
    );
  const byChannel = matmulTN(filters, im2col(x, ...geometryArgs(g)));
  const biased = bias === undefined ? byChannel : add(byChannel, transpose(bias));
  return transposeChunks(biased, x.rows);
};

/** The maximum of each window, per channel: N × (C·H·W) → N × (C·outH·outW); the gradient goes to each window's first maximum. */
export const maxPool2d = (x: Tensor, geometry: WindowGeometry): Tensor =>
  maxPoolGather(x, x, ...geometryArgs(geometry));

/** The mean of each window, per channel (padding counts as zeros): N × (C·H·W) → N × (C·outH·outW). */
export const avgPool2d = (x: Tensor, geometry: WindowGeometry): Tensor => {
  const g = geometry;
  const area = g.kernelH * g.kernelW;
  // row c averages channel c's block of patch rows
  const [blocks, rows] = alloc(g.channels, g.channels * area);
  for (let c = 0; c < g.channels; c++) rows[c]!.fill(1 / area, c * area, (c + 1) * area);
  return transposeChunks(matmul(blocks, im2col(x, ...geometryArgs(g))), x.rows);
};
