import { describe, expect, it } from 'vitest';
import {
  formatMetric,
  formatReportTable,
  formatReportTableMarkdown,
  reportTable,
  top1Notes,
} from '../../src/report/table.js';
import type { EpochRecord } from '../../src/run/metrics.js';

// Train errors are the report's own row; test errors average to 0.00478 = 2 × (1 − 0.9761) / 10.
const trainErr = [2e-5, 1.8e-4, 6e-5, 4e-5, 2e-5, 2e-5, 2e-5, 1.6e-4, 1.2e-4, 1.2e-4];
const testErr = [0.0031, 0.0022, 0.0045, 0.0071, 0.0043, 0.0068, 0.0052, 0.0049, 0.0054, 0.0043];
const final: EpochRecord = {
  epoch: 30,
  seconds: 12,
  steps: 36000,
  train: {
    loss: 0.01,
    top1: 0.9912,
    oneVsRestError: trainErr,
    oneVsRestAccuracy: [
      0.99998, 0.99982, 0.99994, 0.99996, 0.99998, 0.99998, 0.99998, 0.99984, 0.99988, 0.99988,
    ],
  },
  test: {
    loss: 0.08,
    top1: 0.9761,
    oneVsRestError: testErr,
    oneVsRestAccuracy: [
      0.9969, 0.9978, 0.9955, 0.9929, 0.9957, 0.9932, 0.9948, 0.9951, 0.9946, 0.9957,
    ],
  },
};

const NOTES = [
  'Top-1 accuracy: train 99.12 %, test 97.61 % (top-1 error 2.39 %)',
  "The report's per-digit one-vs-rest error averages to 2 × top-1 error / 10 " +
    '(here 2 × 0.0239 / 10 = 0.00478), so its 0.0049 corresponds to about 97.55 % top-1.',
];

describe('formatMetric', () => {
  it('uses fixed decimals, switching to an exponent when they would hide the value', () => {
    expect(formatMetric(0.00478)).toBe('0.0048');
    expect(formatMetric(0.99998)).toBe('1.0000');
    expect(formatMetric(7.6e-5)).toBe('7.6e-5');
    expect(formatMetric(0)).toBe('0');
    expect(formatMetric(0.00478, 2)).toBe('4.8e-3');
    expect(formatMetric(0.478, 2)).toBe('0.48');
    expect(formatMetric(0.0478, 2)).toBe('4.8e-2');
  });
});

describe('formatReportTable', () => {
  it('prints the report table, aligned, then the top-1 lines', () => {
    expect(formatReportTable(final)).toBe(
      [
        'item name       0       1       2       3       4       5       6       7       8       9  Average',
        'Train Err  2.0e-5  1.8e-4  6.0e-5  4.0e-5  2.0e-5  2.0e-5  2.0e-5  1.6e-4  1.2e-4  1.2e-4   7.6e-5',
        'Train Acc  1.0000  0.9998  0.9999  1.0000  1.0000  1.0000  1.0000  0.9998  0.9999  0.9999   0.9999',
        'Test Err   0.0031  0.0022  0.0045  0.0071  0.0043  0.0068  0.0052  0.0049  0.0054  0.0043   0.0048',
        'Test Acc   0.9969  0.9978  0.9955  0.9929  0.9957  0.9932  0.9948  0.9951  0.9946  0.9957   0.9952',
        '',
        ...NOTES,
      ].join('\n'),
    );
  });

  it('honours the digits option', () => {
    const rows = reportTable(final, { digits: 6 }).rows;
    expect(rows[0]![10]).toBe('0.000120');
    expect(rows[2]!.slice(1, 3)).toEqual(['0.003100', '0.002200']);
    expect(rows[2]![11]).toBe('0.004780');
  });
});

describe('formatReportTableMarkdown', () => {
  it('prints the same content as a Markdown table', () => {
    const md = formatReportTableMarkdown(final).split('\n');
    expect(md[0]).toBe('| item name | 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9 | Average |');
    expect(md[1]).toBe(`| --- | ${Array(11).fill('---:').join(' | ')} |`);
    expect(md[4]).toBe(
      '| Test Err | 0.0031 | 0.0022 | 0.0045 | 0.0071 | 0.0043 | 0.0068 | 0.0052 | 0.0049 | 0.0054 | 0.0043 | 0.0048 |',
    );
    expect(md.slice(6)).toEqual(['', NOTES[0], '', NOTES[1]]);
  });
});

describe('top1Notes', () => {
  it("uses the record's class count and its own top-1 error", () => {
    const three: EpochRecord = {
      ...final,
      test: {
        loss: 1,
        top1: 0.7,
        oneVsRestError: [0.2, 0.1, 0.1],
        oneVsRestAccuracy: [0.8, 0.9, 0.9],
      },
    };
    expect(top1Notes(three)[1]).toMatch(/2 × top-1 error \/ 3 \(here 2 × 0\.3000 \/ 3 = 0\.2\)/);
  });
});
