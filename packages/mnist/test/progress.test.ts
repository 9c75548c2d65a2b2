import { PassThrough } from 'node:stream';
import { describe, expect, test } from 'vitest';
import { formatRate, progressHooks } from '../src/progress.js';
import type { EpochRecord } from '../src/run/metrics.js';

const split = { loss: 0.5, top1: 0.9, oneVsRestError: [], oneVsRestAccuracy: [] };
const record = (epoch: number): EpochRecord => ({
  epoch,
  seconds: 1.5,
  steps: 2 * epoch,
  train: split,
  test: split,
});

/** The lines progressHooks writes to a non-terminal stream over one epoch of two steps. */
const linesFor = (showRate: boolean): string[] => {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (d: Buffer) => {
    text += d.toString();
  });
  const hooks = progressHooks(1, { stream, showRate });
  hooks.onEpochEnd?.(record(0));
  hooks.onEpochStart?.(1, 2, 0);
  hooks.onStep?.(1, 1, 0.7, 0.05);
  hooks.onStep?.(1, 2, 0.6, 0.0125);
  hooks.onEpochEnd?.(record(1));
  return text.trimEnd().split('\n');
};

describe('progressHooks', () => {
  test('with a schedule, each epoch line ends with the rate of its last step', () => {
    const [before, after] = linesFor(true);
    expect(before).toMatch(/\(before training\)$/);
    expect(after).toMatch(/\(1\.5 s\) {2}lr 0\.0125$/);
  });

  test('without one, no rate is shown', () => {
    expect(linesFor(false).join('\n')).not.toContain('lr');
  });

  test('formatRate keeps three significant digits', () => {
    expect([0.05, 0.047312, 1.23456e-7, 1].map(formatRate)).toEqual([
      '0.05',
      '0.0473',
      '1.23e-7',
      '1',
    ]);
  });
});
