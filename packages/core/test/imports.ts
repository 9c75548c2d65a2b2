/** The public API plus a small matrix `map` for building expected values in tests. */
import { Matrix } from '../src/index.js';

export * from '../src/index.js';

/** f applied to every entry (tests only). */
export const map = (x: Matrix, f: (v: number) => number): Matrix =>
  Matrix.from1DArray(x.rows, x.columns, x.to1DArray().map(f));
export * from '../src/testing.js';
