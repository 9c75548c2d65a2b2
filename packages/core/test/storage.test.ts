import { fc, test } from '@fast-check/vitest';
import { Matrix } from 'ml-matrix';
import { describe, expect, it } from 'vitest';
import * as k from '../src/kernels.js';
import { matmulNN, matmulTN } from '../src/matmul.js';
import { allocFlat, flatOf, fromFlat, rowsOf, storageOf, toFlat, wrapFlat } from '../src/matrix.js';

/** Every entry exactly, -0 apart from 0 (NaN as 'NaN'). */
const exact = (m: Matrix): string[] =>
  m.to1DArray().map((x) => (Object.is(x, -0) ? '-0' : String(x)));

const entries = (n: number) =>
  fc.array(
    fc.oneof(fc.constantFrom(0, -0, Infinity, Number.NaN), fc.double({ min: -1e3, max: 1e3 })),
    { minLength: n, maxLength: n },
  );

/** A shape and its entries, as one of our flat matrices and as ml-matrix's own (one array a row). */
const pair = fc
  .tuple(fc.integer({ min: 1, max: 7 }), fc.integer({ min: 1, max: 7 }))
  .chain(([r, c]) =>
    entries(r * c).map((flat) => [fromFlat(r, c, flat), Matrix.from1DArray(r, c, flat)] as const),
  );

describe('flat storage', () => {
  it('makes rows on demand, as views of the one buffer, and ml-matrix reads and writes them', () => {
    const [m, flat] = allocFlat(2, 3);
    flat.set([1, 2, 3, 4, 5, 6]);
    expect(m.get(1, 2)).toBe(6);
    m.set(0, 1, 20);
    expect(flat[1]).toBe(20);
    expect(rowsOf(m)[1]!.buffer).toBe(flat.buffer);
    expect(flatOf(m)).toEqual(flat);
    expect(m.to2DArray()).toEqual([
      [1, 20, 3],
      [4, 5, 6],
    ]);
  });

  it('follows ml-matrix mutations that change the rows', () => {
    const m = wrapFlat(3, 2, Float64Array.of(1, 2, 3, 4, 5, 6));
    m.removeRow(0);
    expect([...storageOf(m)]).toEqual([3, 4, 5, 6]);
    m.addRow(0, [7, 8]); // a row of its own: no longer one buffer
    expect(flatOf(m)).toBeUndefined();
    expect([...storageOf(m)]).toEqual([7, 8, 3, 4, 5, 6]);
    expect(k.sumAll(m).get(0, 0)).toBe(33);
  });

  it('packs a matrix whose rows are separate arrays, and copies in toFlat', () => {
    const m = new Matrix([
      [1, 2],
      [3, 4],
    ]);
    expect(flatOf(m)).toBeUndefined();
    expect([...storageOf(m)]).toEqual([1, 2, 3, 4]);
    const own = fromFlat(1, 2, [5, 6]);
    const copy = toFlat(own);
    copy[0] = 0;
    expect(own.get(0, 0)).toBe(5);
  });

  test.prop([pair])('relu is the map it replaces, bit for bit', ([a]) => {
    expect(exact(k.relu(a))).toEqual(exact(k.map(a, (v) => Math.max(v, 0))));
  });

  // relu's backward as one op: g·[x > 0] must round as mul(g, positive(x)) does (g·0 is −0, NaN)
  const sameShape = fc
    .tuple(fc.integer({ min: 1, max: 7 }), fc.integer({ min: 1, max: 7 }))
    .chain(([r, c]) =>
      fc
        .tuple(entries(r * c), entries(r * c))
        .map(([g, x]) => [fromFlat(r, c, g), fromFlat(r, c, x)]),
    );
  test.prop([sameShape])('mulPositive is mul(g, positive(x)), bit for bit', ([g, x]) => {
    expect(exact(k.mulPositive(g!, x!))).toEqual(
      exact(
        k.zip(
          'mul',
          g!,
          k.map(x!, (v) => (v > 0 ? 1 : 0)),
          k.rows.mul,
        ),
      ),
    );
  });

  test.prop([pair, pair])('kernels give the same bits on either storage', ([a, a2], [b, b2]) => {
    const same = (f: (x: Matrix, y: Matrix) => Matrix) =>
      expect(exact(f(a, b))).toEqual(exact(f(a2, b2)));
    same((x) => k.sumRows(x));
    same((x) => k.sumCols(x));
    same((x) => k.transpose(x));
    same((x) => k.relu(x));
    same((x) => k.mulPositive(x, x));
    same((x) => k.softmaxRows(x));
    same((x) => k.zip('add', x, 2, k.rows.add));
    same((x) => k.zip('mul', x, k.sumRows(x), k.rows.mul));
    same((x) => k.zip('div', x, k.sumCols(x), k.rows.div));
    if (a.rows === b.rows && a.columns === b.columns)
      same((x, y) => k.zip('sub', x, y, k.rows.sub));
    if (a.columns === b.rows) same((x, y) => matmulNN(x, y));
    if (a.rows === b.rows) same((x, y) => matmulTN(x, y));
  });
});

describe('firstNonFinite', () => {
  /** Mostly finite entries (the probe's case), some NaN and ±Infinity, any length mod 4. */
  const sparseSpecials = fc
    .tuple(fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 9 }))
    .chain(([r, c]) =>
      fc
        .array(
          fc.oneof(
            { weight: 12, arbitrary: fc.double({ noNaN: true, noDefaultInfinity: true }) },
            { weight: 1, arbitrary: fc.constantFrom(Infinity, -Infinity, Number.NaN) },
          ),
          { minLength: r * c, maxLength: r * c },
        )
        .map((flat) => fromFlat(r, c, flat)),
    );

  test.prop([sparseSpecials])('finds the first NaN or ±Infinity in row-major order', (m) => {
    const flat = m.to1DArray();
    const at = flat.findIndex((x) => !Number.isFinite(x));
    expect(k.firstNonFinite(m)).toEqual(
      at < 0 ? undefined : [Math.floor(at / m.columns), at % m.columns],
    );
  });
});
