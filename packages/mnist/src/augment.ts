import { alloc, type Key, type Matrix, randomInts } from '@difftape/core';
import { type Dataset, gatherBatch } from './data.js';

/**
 * The images at `indices`, each translated by its own random (dx, dy) in [−maxShift, maxShift]
 * pixels (vacated pixels are 0), scaled to [0, 1]. A standard MNIST augmentation: the network sees
 * a slightly different digit every epoch. The shifts come from `key`, so a run stays reproducible.
 */
export const gatherShiftedBatch = (
  ds: Dataset,
  indices: ArrayLike<number>,
  key: Key,
  maxShift: number,
): Matrix => {
  if (!(Number.isInteger(maxShift) && maxShift >= 0)) {
    throw new RangeError(
      `gatherShiftedBatch: maxShift must be a non-negative integer, got ${maxShift}`,
    );
  }
  const base = gatherBatch(ds, indices);
  if (maxShift === 0) return base;
  const { rows, cols } = ds;
  const shifts = randomInts(key, 2 * indices.length, 2 * maxShift + 1);
  const [out, dst] = alloc(indices.length, rows * cols);
  for (let i = 0; i < indices.length; i++) {
    const dx = shifts[2 * i]! - maxShift;
    const dy = shifts[2 * i + 1]! - maxShift;
    const src = base.getRow(i);
    const row = dst[i]!;
    for (let r = Math.max(0, dy); r < Math.min(rows, rows + dy); r++) {
      for (let c = Math.max(0, dx); c < Math.min(cols, cols + dx); c++)
        row[r * cols + c] = src[(r - dy) * cols + (c - dx)]!;
    }
  }
  return out;
};
