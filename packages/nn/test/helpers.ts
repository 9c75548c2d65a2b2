import { Matrix } from '@difftape/core';

/** A rows × cols matrix from row-major values (tests only). */
export const M = (rows: number, cols: number, values: number[]): Matrix =>
  Matrix.from1DArray(rows, cols, values);
