import { describe, expect, it } from 'vitest';
import { learningRateRows, scheduleOf } from '../../src/report/schedule.js';
import { decodeTrainConfig, reportConfig } from '../../src/run/config.js';
import type { EpochRecord } from '../../src/run/metrics.js';

const config = decodeTrainConfig(
  { ...reportConfig, epochs: 2, lr: 0.1, schedule: 'cosine' },
  'the test config',
);
const split = { loss: 1, top1: 0.5, oneVsRestError: [0.1], oneVsRestAccuracy: [0.9] };
const at = (epoch: number): EpochRecord => ({
  epoch,
  seconds: 0,
  steps: 20 * epoch,
  train: split,
  test: split,
});

describe('learningRateRows', () => {
  it('follows the cosine from lr to 0 over the run, half way at the middle', () => {
    const rows = learningRateRows(config, 'cosine', [at(0), at(1), at(2)]);
    expect(rows[0]).toEqual({ epoch: 0, lr: 0.1 });
    expect(rows.at(-1)).toEqual({ epoch: 2, lr: 0 });
    expect(rows.find((r) => r.epoch === 1)!.lr).toBeCloseTo(0.05, 12);
    for (let i = 1; i < rows.length; i++) expect(rows[i]!.lr).toBeLessThanOrEqual(rows[i - 1]!.lr);
  });

  it('draws nothing for a constant rate or a config without a schedule', () => {
    expect(scheduleOf({ ...config, schedule: 'constant' as const })).toBeUndefined();
    expect(scheduleOf(undefined)).toBeUndefined();
    expect(scheduleOf(config)).toBe('cosine');
  });
});
