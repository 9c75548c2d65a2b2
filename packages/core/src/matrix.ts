import { Matrix } from 'ml-matrix';

/**
 * The one place that touches ml-matrix's row storage. ml-matrix keeps a matrix as an array of
 * Float64Array rows (`data`), public at runtime but missing from its type declarations.
 * Every function here that returns a matrix returns a fresh one.
 */

interface RowStorage {
  data: Float64Array[];
}

export { Matrix };

/** The rows of `m`, read-only by convention: never write into the rows of an input. */
export const rowsOf = (m: Matrix): readonly Float64Array[] => (m as unknown as RowStorage).data;

/**
 * A fresh zero matrix whose rows you may write into. The rows are views into one contiguous buffer:
 * a single allocation instead of one per row (several times faster for a 784 x 100 matrix), and less
 * for the garbage collector to track. ml-matrix reads such rows like any other.
 */
export const alloc = (rows: number, cols: number): [Matrix, Float64Array[]] => {
  const m = new Matrix(0, cols);
  const buffer = new Float64Array(rows * cols);
  const data = new Array<Float64Array>(rows);
  for (let i = 0; i < rows; i++) data[i] = buffer.subarray(i * cols, (i + 1) * cols);
  Object.assign(m, { data, rows });
  return [m, data];
};

/** A fresh rows × cols matrix filled with `value`. */
export const filled = (rows: number, cols: number, value: number): Matrix => {
  const [m, out] = alloc(rows, cols);
  if (value !== 0) for (const row of out) row.fill(value);
  return m;
};

/** A fresh matrix from a flat row-major array. */
export const fromFlat = (rows: number, cols: number, flat: ArrayLike<number>): Matrix => {
  if (flat.length !== rows * cols) {
    throw new RangeError(
      `fromFlat: expected ${rows * cols} values for ${rows}x${cols}, got ${flat.length}`,
    );
  }
  const [m, out] = alloc(rows, cols);
  for (let i = 0; i < rows; i++) {
    const row = out[i]!;
    for (let j = 0; j < cols; j++) row[j] = flat[i * cols + j]!;
  }
  return m;
};

/** The entries of `m` as a fresh flat row-major Float64Array. */
export const toFlat = (m: Matrix): Float64Array => {
  const flat = new Float64Array(m.rows * m.columns);
  const rows = rowsOf(m);
  for (let i = 0; i < m.rows; i++) flat.set(rows[i]!, i * m.columns);
  return flat;
};

/** `rows x cols`, the way every error message prints a shape. */
export const shapeString = (m: { rows: number; columns: number }): string =>
  `${m.rows}x${m.columns}`;
