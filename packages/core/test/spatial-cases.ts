import { fc } from '@fast-check/vitest';
import {
  arbEntries,
  avgPool2d,
  col2im,
  concatCols,
  conv2d,
  convGeometry,
  geometryArgs,
  im2col,
  Matrix,
  maximum,
  maxPool2d,
  maxPoolScatter,
  poolGeometry,
  pow,
  reshape,
  sliceCols,
  type Tensor,
  toFlat,
  transposeChunks,
  type WindowGeometry,
  where,
} from './imports.js';

/** One line per op, as in ops.test.ts: how to call it and which inputs it takes. */
export interface SpatialCase {
  readonly name: string;
  readonly f: (xs: readonly Tensor[]) => Tensor;
  readonly inputs: fc.Arbitrary<Matrix[]>;
}

const size = (max = 4) => fc.integer({ min: 1, max });

/** Entries at least 0.1 apart, so that no max-pooling window has a tie (a kink) within ε. */
export const distinctEntries = (rows: number, cols: number): fc.Arbitrary<Matrix> =>
  arbEntries(rows, cols).map((m) => {
    const flat = Array.from(toFlat(m));
    const order = flat.map((_, i) => i).sort((i, j) => flat[i]! - flat[j]! || i - j);
    const ranked = new Array<number>(flat.length);
    order.forEach((i, rank) => {
      ranked[i] = rank * 0.1 - 1;
    });
    return Matrix.from1DArray(rows, cols, ranked);
  });

/** Two broadcasting operands whose entries never meet: a ≡ 0.1 and b ≡ 0 (mod 0.25). */
const apart = fc
  .tuple(size(), size(), fc.constantFrom('same', 'row', 'col', 'one'), fc.boolean())
  .chain(([r, c, kind, flip]) => {
    const small: [number, number] =
      kind === 'same' ? [r, c] : kind === 'row' ? [1, c] : kind === 'col' ? [r, 1] : [1, 1];
    const [sa, sb] = flip ? [small, [r, c]] : [[r, c], small];
    return fc.tuple(arbEntries(sa[0]!, sa[1]!), arbEntries(sb[0]!, sb[1]!));
  })
  .map(([a, b]) => [
    Matrix.from1DArray(
      a.rows,
      a.columns,
      a.to1DArray().map((v) => Math.round(v * 4) / 4 + 0.1),
    ),
    Matrix.from1DArray(
      b.rows,
      b.columns,
      b.to1DArray().map((v) => Math.round(v * 4) / 4),
    ),
  ]);

/** A checkerboard mask of the shape a and b broadcast to. */
const checkerboard = (a: Tensor, b: Tensor): Matrix => {
  const [r, c] = [Math.max(a.rows, b.rows), Math.max(a.columns, b.columns)];
  return Matrix.from1DArray(
    r,
    c,
    Array.from({ length: r * c }, (_, k) => (Math.floor(k / c) + (k % c)) % 2),
  );
};

/** Geometries small enough for full Jacobians: padded, strided, rectangular and even kernels. */
export const geometries: readonly (readonly [string, WindowGeometry])[] = [
  ['2x4x3, 2x2 same', convGeometry([2, 4, 3], { kernel: 2, padding: 'same' })],
  ['1x5x5, 3x3 stride 2', convGeometry([1, 5, 5], { kernel: 3, stride: 2 })],
  [
    '1x4x5, 3x2 same stride 2',
    convGeometry([1, 4, 5], { kernel: [3, 2], stride: 2, padding: 'same' }),
  ],
];

const sampleSize = (g: WindowGeometry) => g.channels * g.height * g.width;
const images = (g: WindowGeometry) => size(2).chain((n) => arbEntries(n, sampleSize(g)));

export const spatialCases: readonly SpatialCase[] = [
  {
    name: 'reshape',
    f: ([x]) => reshape(x!, x!.columns, x!.rows),
    inputs: arbEntries(3, 4).map((m) => [m]),
  },
  {
    name: 'sliceCols',
    f: ([x]) => sliceCols(x!, Math.floor(x!.columns / 3), x!.columns - Math.floor(x!.columns / 4)),
    inputs: fc.tuple(size(), size(5)).chain(([r, c]) => arbEntries(r, c).map((m) => [m])),
  },
  {
    name: 'concatCols',
    f: ([a, b]) => concatCols(a!, b!),
    inputs: fc
      .tuple(size(), size(), size())
      .chain(([r, c, d]) => fc.tuple(arbEntries(r, c), arbEntries(r, d))),
  },
  {
    name: 'transposeChunks',
    f: ([x]) => transposeChunks(x!, 3),
    inputs: size().chain((r) => arbEntries(r, 6).map((m) => [m])),
  },
  { name: 'maximum', f: ([a, b]) => maximum(a!, b!), inputs: apart },
  {
    name: 'pow',
    f: ([x, y]) => pow(x!, y!),
    inputs: fc
      .tuple(size(), size())
      .chain(([r, c]) =>
        fc.tuple(arbEntries(r, c, { min: 0.3, max: 3 }), arbEntries(1, c, { min: -2, max: 2 })),
      ),
  },
  {
    name: 'pow by a number',
    f: ([x]) => pow(x!, 3),
    inputs: fc.tuple(size(), size()).chain(([r, c]) => arbEntries(r, c).map((m) => [m])),
  },
  {
    name: 'where',
    f: ([a, b]) => where(checkerboard(a!, b!), a!, b!),
    inputs: apart,
  },
  ...geometries.flatMap(([label, g]): SpatialCase[] => [
    {
      name: `im2col ${label}`,
      f: ([x]) => im2col(x!, ...geometryArgs(g)),
      inputs: images(g).map((m) => [m]),
    },
    {
      name: `col2im ${label}`,
      f: ([p]) => col2im(p!, ...geometryArgs(g)),
      inputs: size(2).chain((n) =>
        arbEntries(g.channels * g.kernelH * g.kernelW, n * g.outHeight * g.outWidth).map((m) => [
          m,
        ]),
      ),
    },
    {
      name: `conv2d ${label}`,
      f: ([x, w, b]) => conv2d(x!, w!, g, b),
      inputs: fc.tuple(
        images(g),
        arbEntries(g.channels * g.kernelH * g.kernelW, 2),
        arbEntries(1, 2),
      ),
    },
  ]),
  {
    name: 'maxPool2d',
    f: ([x]) => maxPool2d(x!, poolGeometry([2, 4, 5], { window: 2 })),
    inputs: size(2).chain((n) => distinctEntries(n, 40).map((m) => [m])),
  },
  {
    name: 'maxPool2d 3x3 stride 2',
    f: ([x]) => maxPool2d(x!, poolGeometry([1, 5, 5], { window: 3, stride: 2 })),
    inputs: size(2).chain((n) => distinctEntries(n, 25).map((m) => [m])),
  },
  {
    name: 'maxPool2d 3x3 same (padding skipped)',
    f: ([x]) => maxPool2d(x!, convGeometry([1, 4, 4], { kernel: 3, padding: 'same' })),
    inputs: size(2).chain((n) => distinctEntries(n, 16).map((m) => [m])),
  },
  {
    name: 'maxPoolScatter',
    f: ([ct, x]) =>
      maxPoolScatter(ct!, x!, ...geometryArgs(poolGeometry([2, 4, 5], { window: 2 }))),
    inputs: size(2).chain((n) => fc.tuple(arbEntries(n, 8), distinctEntries(n, 40))),
  },
  {
    name: 'avgPool2d',
    f: ([x]) => avgPool2d(x!, poolGeometry([2, 4, 5], { window: 2 })),
    inputs: size(2).chain((n) => arbEntries(n, 40).map((m) => [m])),
  },
];
