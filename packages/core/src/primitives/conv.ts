import { allocFlat, type Matrix, shapeString, storageOf } from '../matrix.js';
import { defineOp, type Op } from '../op.js';
import type { Tensor } from '../tape.js';
import { checkInteger } from './shape.js';

/**
 * Where the windows of a 2-D convolution or pooling lie. A sample is one row holding C × H × W
 * values in channel-major order (c, y, x); window (oy, ox) covers rows oy·stride − padTop + ky and
 * columns ox·stride − padLeft + kx of every channel, for ky < kernelH, kx < kernelW. Positions in
 * the padding read as zero (im2col) or are skipped (max pooling).
 */
export interface WindowGeometry {
  readonly channels: number;
  readonly height: number;
  readonly width: number;
  readonly kernelH: number;
  readonly kernelW: number;
  readonly stride: number;
  readonly padTop: number;
  readonly padLeft: number;
  readonly outHeight: number;
  readonly outWidth: number;
}

type N = number;

/** A geometry as the number inputs of a primitive, in the order of `WindowGeometry`'s fields. */
export type GeometryArgs = [N, N, N, N, N, N, N, N, N, N];

/** The number inputs that carry a geometry into a primitive. */
export const geometryArgs = (g: WindowGeometry): GeometryArgs => {
  const { channels: c, height: h, width: w, kernelH: kh, kernelW: kw, stride: s } = g;
  return [c, h, w, kh, kw, s, g.padTop, g.padLeft, g.outHeight, g.outWidth];
};

const none = null;
/** No cotangent for any of a geometry's number inputs. */
export const noGeometryCotangents = [
  none,
  none,
  none,
  none,
  none,
  none,
  none,
  none,
  none,
  none,
] as const;

/** The geometry from a primitive's number inputs, checked: every window overlaps the image. */
export const geometryOf = (op: string, args: GeometryArgs): WindowGeometry => {
  const [channels, height, width, kernelH, kernelW, stride, padTop, padLeft, outHeight, outWidth] =
    args;
  const g = {
    channels,
    height,
    width,
    kernelH,
    kernelW,
    stride,
    padTop,
    padLeft,
    outHeight,
    outWidth,
  };
  for (const [name, v] of Object.entries(g))
    checkInteger(op, name, v, name.startsWith('pad') ? 0 : 1);
  const overlaps = (pad: number, kernel: number, out: number, size: number) =>
    pad < kernel && (out - 1) * stride - pad < size;
  if (!overlaps(padTop, kernelH, outHeight, height) || !overlaps(padLeft, kernelW, outWidth, width))
    throw new RangeError(
      `${op}: a ${kernelH}x${kernelW} window (stride ${stride}, padding ${padTop},${padLeft}) cannot give a ${outHeight}x${outWidth} output from a ${height}x${width} image`,
    );
  return g;
};

/** Throws unless x holds samples of the geometry's C × H × W. */
export const checkSamples = (op: string, x: Matrix, g: WindowGeometry): void => {
  const size = g.channels * g.height * g.width;
  if (x.columns !== size)
    throw new RangeError(
      `${op}: input is ${shapeString(x)}, expected ${size} columns (${g.channels}x${g.height}x${g.width} per sample)`,
    );
};

/**
 * Copies between images and patches. Patch row (c, ky, kx), column n·(outH·outW) + oy·outW + ox
 * holds image entry (c, oy·stride − padTop + ky, ox·stride − padLeft + kx) of sample n; `toPatches`
 * copies image → patches, else patches are added back into the image. Positions in the padding are
 * skipped. One loop nest for both directions keeps the two primitives exact adjoints; the inner
 * loop runs along an image row and a patch row (both contiguous at stride 1). Both matrices are
 * addressed in their flat storage: no row views, one loop per (row, sample, oy).
 */
const transfer = (
  g: WindowGeometry,
  samples: number,
  images: Float64Array,
  patches: Float64Array,
  toPatches: boolean,
): void => {
  const { channels, height, width, kernelH, kernelW, stride, padTop, padLeft } = g;
  const { outHeight, outWidth } = g;
  const imageSize = channels * height * width;
  const patchWidth = samples * outHeight * outWidth;
  for (let c = 0; c < channels; c++)
    for (let ky = 0; ky < kernelH; ky++)
      for (let kx = 0; kx < kernelW; kx++) {
        const row = ((c * kernelH + ky) * kernelW + kx) * patchWidth;
        // the outputs ox whose column ox·stride − padLeft + kx lies inside the image
        const from = Math.max(0, Math.ceil((padLeft - kx) / stride));
        const to = Math.min(outWidth, Math.floor((width - 1 + padLeft - kx) / stride) + 1);
        for (let n = 0; n < samples; n++)
          for (let oy = 0; oy < outHeight; oy++) {
            const y = oy * stride - padTop + ky;
            if (y < 0 || y >= height) continue;
            const src = n * imageSize + (c * height + y) * width - padLeft + kx;
            const dst = row + (n * outHeight + oy) * outWidth;
            if (toPatches)
              for (let ox = from; ox < to; ox++) patches[dst + ox] = images[src + ox * stride]!;
            else
              for (let ox = from; ox < to; ox++) images[src + ox * stride]! += patches[dst + ox]!;
          }
      }
};

type Windowed = [Tensor, ...GeometryArgs];

/**
 * The patches of a batch of images as columns: N × (C·H·W) → (C·kernelH·kernelW) × (N·outH·outW),
 * one column per window position (sample-major), each column the window's values in (c, ky, kx)
 * order. Few long rows: the gemm kernels run along them.
 */
export const im2col: Op<Windowed> = defineOp<Windowed>({
  name: 'im2col',
  forward: (x, ...args) => {
    const g = geometryOf('im2col', args);
    checkSamples('im2col', x, g);
    const patchSize = g.channels * g.kernelH * g.kernelW;
    const [m, out] = allocFlat(patchSize, x.rows * g.outHeight * g.outWidth);
    transfer(g, x.rows, storageOf(x), out, true);
    return m;
  },
  // linear, and col2im is its adjoint
  vjp: [(ct, _out, _x, ...args) => col2im(ct, ...args), ...noGeometryCotangents],
});

/** The adjoint of im2col: each patch entry added back to the image position it came from. */
export const col2im: Op<Windowed> = defineOp<Windowed>({
  name: 'col2im',
  forward: (patches, ...args) => {
    const g = geometryOf('col2im', args);
    const positions = g.outHeight * g.outWidth;
    const patchSize = g.channels * g.kernelH * g.kernelW;
    if (patches.rows !== patchSize || patches.columns % positions !== 0)
      throw new RangeError(
        `col2im: patches are ${shapeString(patches)}, expected ${patchSize} rows and a multiple of ${positions} columns`,
      );
    const samples = patches.columns / positions;
    const [m, out] = allocFlat(samples, g.channels * g.height * g.width);
    transfer(g, samples, out, storageOf(patches), false);
    return m;
  },
  // linear, and im2col is its adjoint
  vjp: [(ct, _out, _p, ...args) => im2col(ct, ...args), ...noGeometryCotangents],
});
