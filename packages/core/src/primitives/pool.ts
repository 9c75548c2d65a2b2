import { allocFlat, type Matrix, shapeString, storageOf } from '../matrix.js';
import { defineOp, type Op } from '../op.js';
import type { Tensor } from '../tape.js';
import {
  checkSamples,
  type GeometryArgs,
  geometryOf,
  noGeometryCotangents,
  type WindowGeometry,
} from './conv.js';

/**
 * For every sample n and output entry (c, oy, ox), where in x's flat storage the first maximum of
 * x in that window lies (scanning ky, then kx); padding is skipped. Entry n·pooled + o is sample
 * n's output o, so gather and scatter each run one flat loop.
 */
const firstMaxima = (x: Matrix, g: WindowGeometry): Int32Array => {
  const { channels, height, width, kernelH, kernelW, stride, padTop, padLeft } = g;
  const { outHeight, outWidth } = g;
  const xs = storageOf(x);
  const size = x.columns;
  const at = new Int32Array(x.rows * channels * outHeight * outWidth);
  let o = 0;
  for (let n = 0; n < x.rows; n++)
    for (let c = 0; c < channels; c++)
      for (let oy = 0; oy < outHeight; oy++) {
        // the kernel rows ky0 ≤ ky < ky1 that land inside the image
        const ky0 = Math.max(0, padTop - oy * stride);
        const ky1 = Math.min(kernelH, height + padTop - oy * stride);
        const top = n * size + (c * height + oy * stride - padTop) * width;
        for (let ox = 0; ox < outWidth; ox++, o++) {
          const kx0 = Math.max(0, padLeft - ox * stride);
          const kx1 = Math.min(kernelW, width + padLeft - ox * stride);
          const left = top + ox * stride - padLeft;
          let best = left + ky0 * width + kx0;
          let max = xs[best]!;
          for (let ky = ky0, r = left + ky0 * width; ky < ky1; ky++, r += width)
            for (let kx = ky === ky0 ? kx0 + 1 : kx0; kx < kx1; kx++)
              if (xs[r + kx]! > max) {
                max = xs[r + kx]!;
                best = r + kx;
              }
          at[o] = best;
        }
      }
  return at;
};

const checkLike = (op: string, v: Matrix, x: Matrix): void => {
  if (v.rows !== x.rows || v.columns !== x.columns)
    throw new RangeError(
      `${op}: values are ${shapeString(v)} but the images are ${shapeString(x)}`,
    );
};

type Pooled = [Tensor, Tensor, ...GeometryArgs];

/**
 * v read at the first maximum of x in each window: N × (C·H·W) → N × (C·outH·outW), channel-major.
 * maxPool2d(x) is maxPoolGather(x, x). x only picks the positions: its cotangent is zero.
 */
export const maxPoolGather: Op<Pooled> = defineOp<Pooled>({
  name: 'maxPoolGather',
  forward: (v, x, ...args) => {
    const g = geometryOf('maxPoolGather', args);
    checkSamples('maxPoolGather', x, g);
    checkLike('maxPoolGather', v, x);
    const [m, out] = allocFlat(x.rows, g.channels * g.outHeight * g.outWidth);
    const vs = storageOf(v);
    const at = firstMaxima(x, g);
    for (let o = 0; o < at.length; o++) out[o] = vs[at[o]!]!;
    return m;
  },
  // linear in v, and maxPoolScatter is its adjoint
  vjp: [
    (ct, _out, _v, x, ...args) => maxPoolScatter(ct, x, ...args),
    null,
    ...noGeometryCotangents,
  ],
});

/** The adjoint of maxPoolGather: each pooled entry of ct added to the first maximum of its window. */
export const maxPoolScatter: Op<Pooled> = defineOp<Pooled>({
  name: 'maxPoolScatter',
  forward: (ct, x, ...args) => {
    const g = geometryOf('maxPoolScatter', args);
    checkSamples('maxPoolScatter', x, g);
    const pooled = g.channels * g.outHeight * g.outWidth;
    if (ct.rows !== x.rows || ct.columns !== pooled)
      throw new RangeError(
        `maxPoolScatter: cotangent is ${shapeString(ct)}, expected ${shapeString([x.rows, pooled])}`,
      );
    const [m, out] = allocFlat(x.rows, x.columns);
    const cs = storageOf(ct);
    const at = firstMaxima(x, g);
    for (let o = 0; o < at.length; o++) out[at[o]!]! += cs[o]!;
    return m;
  },
  // linear in ct, and maxPoolGather is its adjoint
  vjp: [(g, _out, _ct, x, ...args) => maxPoolGather(g, x, ...args), null, ...noGeometryCotangents],
});
