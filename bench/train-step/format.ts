import type { MemoryRun, MemorySample } from '../memory.js';
import type { Checks } from './checks.js';

/** The text output of the train-step bench: the timing table, the checks and the memory runs. */

/** One row of the timing table. */
export interface StepResult {
  readonly key: string;
  readonly name: string;
  readonly medianMs: number;
  readonly stepsPerSecond: number;
  /** Median time over the difftape row of the same kind (step or grad only); NaN when absent. */
  readonly vsDifftape: number;
  readonly rounds: number;
}

/** A plain-text table: the first column left-aligned, the rest right-aligned. */
const table = (header: readonly string[], rows: readonly string[][]): string => {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: readonly string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
};

/** The timing table, one row per contender. */
export const stepTable = (results: readonly StepResult[]): string =>
  table(
    ['contender', 'ms/step', 'steps/s', 'vs difftape', 'rounds'],
    results.map((r) => [
      r.name,
      r.medianMs.toFixed(3),
      r.stepsPerSecond.toFixed(1),
      Number.isNaN(r.vsDifftape) ? '-' : `${r.vsDifftape.toFixed(2)}x`,
      String(r.rounds),
    ]),
  );

/** One line saying what the checks compared and found. */
export const checksLine = (c: Checks): string => {
  const parts = [`checks passed: loss ${c.difftapeLoss?.toFixed(6)}`];
  if (c.baselineGradMaxAbsDiff !== undefined) {
    parts.push(
      `baseline vs tape |Δgrad| ${c.baselineGradMaxAbsDiff.toExponential(1)}, |Δparams after step| ${c.baselineStepMaxAbsDiff?.toExponential(1)}`,
    );
  }
  if (c.tfjsLoss !== undefined) {
    parts.push(
      `tfjs loss ${c.tfjsLoss.toFixed(6)} (rel ${c.tfjsLossRelDiff?.toExponential(1)}), grads rel ${c.tfjsGradRelDiff?.toExponential(1)}, params after step rel ${c.tfjsStepRelDiff?.toExponential(1)}`,
    );
  }
  return parts.join('; ');
};

/** A memory run's summary line and its before / peak / after table. */
export const memoryLines = (name: string, r: MemoryRun): string => {
  const mb = (v: number) => v.toFixed(1);
  const row = (what: string, m: MemorySample) => [
    what,
    mb(m.heapUsedMB),
    mb(m.arrayBuffersMB),
    mb(m.rssMB),
  ];
  const tensors =
    r.tensorsBefore !== undefined
      ? `; tfjs live tensors ${r.tensorsBefore} → ${r.tensorsAfter}`
      : '';
  return [
    '',
    `${name}: ${r.steps} chained steps in ${r.seconds.toFixed(1)} s (${((1000 * r.seconds) / r.steps).toFixed(2)} ms/step with batch gathering), loss ${r.firstLoss.toFixed(3)} → ${r.lastLoss.toFixed(3)}; GC ${r.gcCount} pauses, ${r.gcMs.toFixed(0)} ms (${((100 * r.gcMs) / (1000 * r.seconds)).toFixed(1)} %)${tensors}`,
    table(
      ['memory, MB', 'heapUsed', 'arrayBuffers', 'rss'],
      [
        row(r.forcedGc ? 'before (after gc)' : 'before (no --expose-gc)', r.before),
        row('peak (every 25 steps)', r.peak),
        row(r.forcedGc ? 'after (after gc)' : 'after (no --expose-gc)', r.after),
      ],
    ),
  ].join('\n');
};
