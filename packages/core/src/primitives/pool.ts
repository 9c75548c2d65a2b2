import { alloc, type Matrix, rowsOf, shapeString } from '../matrix.js';
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
 * For every sample n and output entry (c, oy, ox), the input column of the first maximum of x in
 * that window (scanning ky, then kx); padding is skipped. Row n of the result lists sample n's.
 */
const firstMaxima = (x: Matrix, g: WindowGeometry): Int32Array[] => {
  const { channels, height, width, kernelH, kernelW, stride, padTop, padLeft, outWidth } = g;
  // the first and one-past-last kernel offsets that land inside the image, per output position
  const spans = (n: number, pad: number, kernel: number, size: number) =>
    Array.from(
      { length: n },
      (_, o) => [Math.max(0, pad - o * stride), Math.min(kernel, size + pad - o * stride)] as const,
    );
  const rowsSpan = spans(g.outHeight, padTop, kernelH, height);
  const colsSpan = spans(outWidth, padLeft, kernelW, width);
  return rowsOf(x).map((row) => {
    const at = new Int32Array(channels * g.outHeight * outWidth);
    let o = 0;
    for (let c = 0; c < channels; c++)
      for (let oy = 0; oy < g.outHeight; oy++) {
        const [ky0, ky1] = rowsSpan[oy]!;
        const top = (c * height + oy * stride - padTop) * width;
        for (let ox = 0; ox < outWidth; ox++, o++) {
          const [kx0, kx1] = colsSpan[ox]!;
          const left = top + ox * stride - padLeft;
          let best = left + ky0 * width + kx0;
          let max = row[best]!;
          for (let ky = ky0, r = left + ky0 * width; ky < ky1; ky++, r += width)
            for (let kx = ky === ky0 ? kx0 + 1 : kx0; kx < kx1; kx++)
              if (row[r + kx]! > max) [max, best] = [row[r + kx]!, r + kx];
          at[o] = best;
        }
      }
    return at;
  });
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
    const [m, out] = alloc(x.rows, g.channels * g.outHeight * g.outWidth);
    const vs = rowsOf(v);
    firstMaxima(x, g).forEach((at, n) => {
      const [src, dst] = [vs[n]!, out[n]!];
      for (let o = 0; o < at.length; o++) dst[o] = src[at[o]!]!;
    });
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
    const [m, out] = alloc(x.rows, x.columns);
    const cs = rowsOf(ct);
    firstMaxima(x, g).forEach((at, n) => {
      const [src, dst] = [cs[n]!, out[n]!];
      for (let o = 0; o < at.length; o++) dst[at[o]!]! += src[o]!;
    });
    return m;
  },
  // linear in ct, and maxPoolGather is its adjoint
  vjp: [(g, _out, _ct, x, ...args) => maxPoolGather(g, x, ...args), null, ...noGeometryCotangents],
});
