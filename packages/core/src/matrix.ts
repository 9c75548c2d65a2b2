import { Matrix } from 'ml-matrix';

/**
 * The one place that touches ml-matrix's row storage. ml-matrix keeps a matrix as an array of
 * Float64Array rows (`data`), public at runtime but missing from its type declarations.
 * Every function here that returns a matrix returns a fresh one.
 *
 * Matrices made here keep their entries in one contiguous row-major Float64Array, and make the
 * row views only when someone reads `data` (ml-matrix's own methods, `rowsOf`): the kernels read
 * and write the flat array, and a 784 × 100 result costs one allocation instead of 785.
 */

/** ml-matrix's row storage: its `data` field is private in the typings, so reading it needs a cast. */
interface RowStorage {
  data: Float64Array[];
}

export { Matrix };

/** Where a matrix made here keeps its flat storage: a symbol-keyed field (a WeakMap costs GC time). */
const FLAT = Symbol('flat');

interface FlatStorage {
  [FLAT]?: Float64Array;
}

const ownFlat = (m: Matrix): Float64Array | undefined => (m as FlatStorage)[FLAT];

const views = (flat: Float64Array, rows: number, cols: number): Float64Array[] => {
  const data = new Array<Float64Array>(rows);
  for (let i = 0; i < rows; i++) data[i] = flat.subarray(i * cols, (i + 1) * cols);
  return data;
};

const settle = (m: Matrix, data: Float64Array[]): Float64Array[] => {
  Object.defineProperty(m, 'data', { value: data, writable: true, enumerable: true });
  return data;
};

/**
 * The prototype of the matrices made here: a Matrix whose `data` getter makes the row views on
 * first use and then stores them as the ordinary own property ml-matrix expects.
 */
const lazyRows: object = Object.create(Matrix.prototype, {
  data: {
    get(this: Matrix) {
      const flat = ownFlat(this) ?? new Float64Array(0);
      return settle(this, views(flat, this.rows, this.columns));
    },
    set(this: Matrix, data: Float64Array[]) {
      settle(this, data);
    },
  },
});

/** A rows × cols matrix over `flat` (row-major, rows·cols long, owned by the matrix from now on). */
export const wrapFlat = (rows: number, cols: number, flat: Float64Array): Matrix => {
  const m: Matrix = Object.create(lazyRows);
  Object.assign(m, { rows, columns: cols });
  Object.defineProperty(m, FLAT, { value: flat });
  return m;
};

/** The rows of `m`, read-only by convention: never write into the rows of an input. */
export const rowsOf = (m: Matrix): readonly Float64Array[] => (m as unknown as RowStorage).data;

/**
 * The entries of `m` as one row-major Float64Array without copying, when they are stored so (every
 * matrix made here, whose rows may have been made since), else undefined. Read-only by convention.
 */
export const flatOf = (m: Matrix): Float64Array | undefined => {
  const own = ownFlat(m);
  if (own !== undefined && !Object.hasOwn(m, 'data')) return own;
  const rows = rowsOf(m);
  const cols = m.columns;
  const first = rows[0];
  if (first === undefined || rows.length !== m.rows)
    return m.rows === 0 ? new Float64Array(0) : undefined;
  const { buffer, byteOffset } = first;
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i]!;
    if (
      row.buffer !== buffer ||
      row.byteOffset !== byteOffset + 8 * i * cols ||
      row.length !== cols
    )
      return undefined;
  }
  return new Float64Array(buffer, byteOffset, m.rows * cols);
};

/** The entries of `m` row-major: its own storage when contiguous, else a packed copy. Read-only. */
export const storageOf = (m: Matrix): Float64Array => flatOf(m) ?? toFlat(m);

/** A fresh zero matrix and its flat storage, to write the result into. */
export const allocFlat = (rows: number, cols: number): [Matrix, Float64Array] => {
  const flat = new Float64Array(rows * cols);
  return [wrapFlat(rows, cols, flat), flat];
};

/**
 * A fresh zero matrix whose rows you may write into. The rows are views into one contiguous buffer:
 * a single allocation instead of one per row, and less for the garbage collector to track.
 * ml-matrix reads such rows like any other.
 */
export const alloc = (rows: number, cols: number): [Matrix, Float64Array[]] => {
  const [m] = allocFlat(rows, cols);
  return [m, rowsOf(m) as Float64Array[]];
};

/** A fresh rows × cols matrix filled with `value`. */
export const filled = (rows: number, cols: number, value: number): Matrix => {
  const [m, flat] = allocFlat(rows, cols);
  if (value !== 0) flat.fill(value);
  return m;
};

/** A fresh matrix from a flat row-major array. */
export const fromFlat = (rows: number, cols: number, flat: ArrayLike<number>): Matrix => {
  if (flat.length !== rows * cols) {
    throw new RangeError(
      `fromFlat: expected ${rows * cols} values for ${shapeString([rows, cols])}, got ${flat.length}`,
    );
  }
  return wrapFlat(rows, cols, Float64Array.from(flat));
};

/** The entries of `m` as a fresh flat row-major Float64Array. */
export const toFlat = (m: Matrix): Float64Array => {
  const own = flatOf(m);
  if (own !== undefined) return own.slice();
  const flat = new Float64Array(m.rows * m.columns);
  const rows = rowsOf(m);
  for (let i = 0; i < m.rows; i++) flat.set(rows[i]!, i * m.columns);
  return flat;
};

/** `rows x cols`, the way every error message prints a shape: of a matrix, a tensor or a pair. */
export const shapeString = (
  m: { readonly rows: number; readonly columns: number } | readonly [number, number],
): string => ('rows' in m ? `${m.rows}x${m.columns}` : `${m[0]}x${m[1]}`);
