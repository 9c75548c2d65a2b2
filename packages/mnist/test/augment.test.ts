import { key } from '@difftape/core';
import { describe, expect, it } from 'vitest';
import { gatherShiftedBatch } from '../src/augment.js';
import { gatherBatch, makeDataset } from '../src/data.js';

/** A 3-sample data set of 5 × 5 images, each a single bright pixel in the middle. */
const dot = makeDataset(
  Uint8Array.from({ length: 3 * 25 }, (_, i) => (i % 25 === 12 ? 255 : 0)),
  Uint8Array.of(1, 2, 3),
  5,
  5,
  'dots',
);

describe('gatherShiftedBatch', () => {
  it('with no shift is gatherBatch', () => {
    expect(gatherShiftedBatch(dot, [0, 2], key(0), 0)).toBeAllclose(gatherBatch(dot, [0, 2]), {
      rtol: 0,
      atol: 0,
    });
  });

  it('moves each image by at most maxShift pixels in each direction and keeps its pixels', () => {
    const x = gatherShiftedBatch(dot, [0, 1, 2, 0, 1, 2, 0, 1, 2], key(3), 2);
    const offsets = new Set<string>();
    for (let i = 0; i < x.rows; i++) {
      const row = x.getRow(i);
      const lit = row.flatMap((v, j) => (v === 1 ? [j] : []));
      expect(lit).toHaveLength(1); // a centred dot never leaves a 5 × 5 image under a 2-pixel shift
      const [r, c] = [Math.floor(lit[0]! / 5), lit[0]! % 5];
      expect(Math.abs(r - 2)).toBeLessThanOrEqual(2);
      expect(Math.abs(c - 2)).toBeLessThanOrEqual(2);
      offsets.add(`${r},${c}`);
    }
    expect(offsets.size).toBeGreaterThan(1);
  });

  it('is fixed by its key', () => {
    const a = gatherShiftedBatch(dot, [0, 1, 2], key(7), 1);
    expect(gatherShiftedBatch(dot, [0, 1, 2], key(7), 1)).toBeAllclose(a, { rtol: 0, atol: 0 });
    expect(() => gatherShiftedBatch(dot, [0], key(7), 1.5)).toThrow(
      'maxShift must be a non-negative integer, got 1.5',
    );
  });
});
