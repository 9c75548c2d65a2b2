import {
  avgPool2d,
  conv2d,
  convGeometry,
  type Key,
  type Matrix,
  maxPool2d,
  poolGeometry,
  split,
  type Tensor,
  type Traceable,
  type WindowGeometry,
} from '@difftape/core';
import { glorotUniform, type Initialiser, zeros } from '../init.js';
import { checkWidth, contextShape, type Layer, type NoParams } from '../layer.js';
import { checkSamples, checkShape, imageShape, type Shape, sizeOf } from '../shape.js';

/** How a convolution slides and how it initialises its filters and its bias. */
export interface Conv2dOptions {
  /** A square kernel's side, or [height, width]. */
  readonly kernel: number | readonly [number, number];
  /** Default 1. */
  readonly stride?: number;
  /** 'valid' (default): windows inside the image; 'same': ⌈size / stride⌉ outputs, zero-padded. */
  readonly padding?: 'same' | 'valid';
  /** The filters, (C·kernelH·kernelW) × filters: fan-in × fan-out. Default Glorot uniform. */
  readonly init?: Initialiser;
  /** The 1 × filters bias. Default zeros. */
  readonly bias?: Initialiser;
}

/** Parameters of a convolution: filters W ((C·kernelH·kernelW) × F, rows in (c, ky, kx) order) and bias b (1 × F). */
export type Conv2dParams = {
  readonly W: Matrix;
  readonly b: Matrix;
};

/** Throws unless a window of kh × kw fits images of h × w (valid padding needs it). */
const checkFits = (layer: string, [, h, w]: Shape, [kh, kw]: [number, number]): void => {
  if (kh > h! || kw > w!)
    throw new RangeError(`${layer}: a ${kh}x${kw} window does not fit ${h}x${w} images`);
};

/**
 * 2-D convolution (cross-correlation) with `filters` output channels: images C × H × W in,
 * F × outH × outW out, one sample a row in channel-major order.
 */
export const Conv2d = (filters: number, options: Conv2dOptions): Layer<Conv2dParams> => {
  const { kernel, stride = 1, padding = 'valid', init = glorotUniform, bias = zeros } = options;
  const [kh, kw] = typeof kernel === 'number' ? [kernel, kernel] : kernel;
  const name = `Conv2d(${filters}, ${kh}x${kw}${stride !== 1 ? `, stride ${stride}` : ''}${padding === 'same' ? ', same' : ''})`;
  checkWidth(name, 'filters', filters);
  checkWidth(name, 'the kernel height', kh);
  checkWidth(name, 'the kernel width', kw);
  checkWidth(name, 'the stride', stride);
  const geometry = (shape: Shape): WindowGeometry => {
    const image = imageShape(name, shape);
    if (padding === 'valid') checkFits(name, image, [kh, kw]);
    return convGeometry(image, { kernel: [kh, kw], stride, padding }, name);
  };
  const outputShape = (shape: Shape): Shape => {
    const g = geometry(shape);
    return [filters, g.outHeight, g.outWidth];
  };
  return {
    name,
    outputShape,
    init: (key: Key, inputShape: Shape) => {
      const g = geometry(inputShape);
      const [kW, kb] = split(key, 2);
      const W = init(kW, g.channels * kh * kw, filters);
      return [{ W, b: bias(kb, 1, filters) }, [filters, g.outHeight, g.outWidth]];
    },
    apply: ({ W, b }: Conv2dParams | Traceable<Conv2dParams>, x: Tensor, context) => {
      const shape = contextShape(x, context);
      checkSamples(name, x, shape);
      return conv2d(x, W, geometry(shape), b);
    },
  };
};

/** A pooling layer: `pool` over each window of each channel; no parameters. */
const Pool2d = (
  kind: string,
  pool: (x: Tensor, g: WindowGeometry) => Tensor,
  window: number,
  stride: number,
): Layer<NoParams> => {
  const name = `${kind}(${window}${stride !== window ? `, stride ${stride}` : ''})`;
  checkWidth(name, 'the window', window);
  checkWidth(name, 'the stride', stride);
  const geometry = (shape: Shape): WindowGeometry => {
    const image = imageShape(name, shape);
    checkFits(name, image, [window, window]);
    return poolGeometry(image, { window, stride }, name);
  };
  const outputShape = (shape: Shape): Shape => {
    const g = geometry(shape);
    return [g.channels, g.outHeight, g.outWidth];
  };
  return {
    name,
    outputShape,
    init: (_key, inputShape) => [{}, outputShape(inputShape)],
    apply: (_params, x, context) => {
      const shape = contextShape(x, context);
      checkSamples(name, x, shape);
      return pool(x, geometry(shape));
    },
  };
};

/** The maximum of each window × window block of each channel (stride default: the window); the gradient goes to the first maximum. */
export const MaxPool2d = (window: number, { stride = window } = {}): Layer<NoParams> =>
  Pool2d('MaxPool2d', maxPool2d, window, stride);

/** The mean of each window × window block of each channel (stride default: the window). */
export const AvgPool2d = (window: number, { stride = window } = {}): Layer<NoParams> =>
  Pool2d('AvgPool2d', avgPool2d, window, stride);

const flat = (shape: Shape): Shape => {
  checkShape('Flatten', shape);
  return [sizeOf(shape)];
};

/** Any sample shape to a vector of its values: the data is unchanged (a sample already is one row). */
export const Flatten: Layer<NoParams> = {
  name: 'Flatten',
  outputShape: flat,
  init: (_key, inputShape) => [{}, flat(inputShape)],
  apply: (_params, x) => x,
};
