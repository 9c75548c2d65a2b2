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
  const { channels, height, width, kernelH, kernelW, stride, padTop, padLeft } = g;
  const xs = rowsOf(x);
  return xs.map((row) => {
    const at = new Int32Array(channels * g.outHeight * g.outWidth);
    let o = 0;
    for (let c = 0; c < channels; c++)
      for (let oy = 0; oy < g.outHeight; oy++)
        for (let ox = 0; ox < g.outWidth; ox++, o++) {
          let best = -1;
          for (let ky = 0; ky < kernelH; ky++) {
            const y = oy * stride - padTop + ky;
            if (y < 0 || y >= height) continue;
            for (let kx = 0; kx < kernelW; kx++) {
              const xx = ox * stride - padLeft + kx;
              if (xx < 0 || xx >= width) continue;
              const col = (c * height + y) * width + xx;
              if (best < 0 || row[col]! > row[best]!) best = col;
            }
          }
          at[o] = best;
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
        `maxPoolScatter: cotangent is ${shapeString(ct)}, expected ${x.rows}x${pooled}`,
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
