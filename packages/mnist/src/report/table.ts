import type { EpochRecord } from '../run/metrics.js';

/** The report's published mean per-digit test error (its table's "Average" of "Test Err"). */
export const REPORT_MEAN_TEST_ERROR = 0.0049;

/** Options of the table formatters: `digits` decimals for the metric cells (default 4). */
export interface TableOptions {
  digits?: number;
}

/** The report's table as data: a header, four labelled rows, and the top-1 notes under it. */
export interface ReportTable {
  header: string[];
  rows: string[][];
  notes: string[];
}

/** A metric cell: `digits` decimals, or 2-significant-digit exponent form when that would hide it. */
export const formatMetric = (x: number, digits = 4): string => {
  if (x === 0) return '0';
  if (Math.abs(x) < 10 ** (1 - digits)) return x.toExponential(1);
  return x.toFixed(digits);
};

const mean = (xs: number[]): number => xs.reduce((s, x) => s + x, 0) / xs.length;
const percent = (x: number): string => `${(100 * x).toFixed(2)} %`;

/**
 * The two sentences printed under the table: top-1 for both splits, and how the report's
 * one-vs-rest average relates to top-1 (mean error = 2 × top-1 error / K).
 */
export const top1Notes = (final: EpochRecord): string[] => {
  const classes = final.test.oneVsRestError.length;
  const testTop1Error = 1 - final.test.top1;
  const implied = (2 * testTop1Error) / classes;
  // The report had 10 digits: its 0.0049 means a top-1 error of 0.0049 × 10 / 2.
  const reportTop1 = 1 - (REPORT_MEAN_TEST_ERROR * 10) / 2;
  return [
    `Top-1 accuracy: train ${percent(final.train.top1)}, test ${percent(final.test.top1)} ` +
      `(top-1 error ${percent(testTop1Error)})`,
    `The report's per-digit one-vs-rest error averages to 2 × top-1 error / ${classes} ` +
      `(here 2 × ${testTop1Error.toFixed(4)} / ${classes} = ${Number(implied.toPrecision(3))}), ` +
      `so its ${REPORT_MEAN_TEST_ERROR} corresponds to about ${percent(reportTop1)} top-1.`,
  ];
};

/** The report's table of the final epoch: one-vs-rest error and accuracy per digit and mean. */
export const reportTable = (final: EpochRecord, options: TableOptions = {}): ReportTable => {
  const digits = options.digits ?? 4;
  const classes = final.test.oneVsRestError.length;
  const row = (name: string, values: number[]): string[] => [
    name,
    ...values.map((v) => formatMetric(v, digits)),
    formatMetric(mean(values), digits),
  ];
  return {
    header: ['item name', ...Array.from({ length: classes }, (_, k) => String(k)), 'Average'],
    rows: [
      row('Train Err', final.train.oneVsRestError),
      row('Train Acc', final.train.oneVsRestAccuracy),
      row('Test Err', final.test.oneVsRestError),
      row('Test Acc', final.test.oneVsRestAccuracy),
    ],
    notes: top1Notes(final),
  };
};

/** The report's table as aligned plain text (labels left, numbers right), then the top-1 notes. */
export const formatReportTable = (final: EpochRecord, options: TableOptions = {}): string => {
  const { header, rows, notes } = reportTable(final, options);
  const all = [header, ...rows];
  const widths = header.map((_, j) => Math.max(...all.map((r) => r[j]!.length)));
  const line = (r: string[]): string =>
    r.map((cell, j) => (j === 0 ? cell.padEnd(widths[j]!) : cell.padStart(widths[j]!))).join('  ');
  return [...all.map(line), '', ...notes].join('\n');
};

/** The same table and notes as Markdown. */
export const formatReportTableMarkdown = (
  final: EpochRecord,
  options: TableOptions = {},
): string => {
  const { header, rows, notes } = reportTable(final, options);
  const line = (r: string[]): string => `| ${r.join(' | ')} |`;
  const rule = `| --- | ${header
    .slice(1)
    .map(() => '---:')
    .join(' | ')} |`;
  return [line(header), rule, ...rows.map(line), '', ...notes.flatMap((n) => [n, ''])]
    .join('\n')
    .trimEnd();
};
