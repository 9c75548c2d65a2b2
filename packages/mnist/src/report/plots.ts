import type * as vl from 'vega-lite';
import type { EpochRecord } from '../run/metrics.js';
import { CONFIG, EPOCH_X, render } from './vega.js';

/** One rendered figure: a file-safe name, a human title, the SVG, and its Vega-Lite spec (charts only). */
export interface Plot {
  name: string;
  title: string;
  svg: string;
  spec?: object;
}

type Split = 'train' | 'test';
const SPLITS: readonly Split[] = ['train', 'test'];

/** Per digit, split and epoch: the report's one-vs-rest pair. */
interface DigitRow {
  epoch: number;
  split: Split;
  digit: number;
  error: number;
  accuracy: number;
}

/** Per split and epoch: loss, top-1 and the one-vs-rest means. */
interface SummaryRow {
  epoch: number;
  split: Split;
  loss: number;
  top1: number;
  meanError: number;
  meanAccuracy: number;
}

const mean = (xs: number[]): number => xs.reduce((s, x) => s + x, 0) / xs.length;

const digitRows = (records: EpochRecord[]): DigitRow[] =>
  records.flatMap((r) =>
    SPLITS.flatMap((split) =>
      r[split].oneVsRestError.map((error, digit) => ({
        epoch: r.epoch,
        split,
        digit,
        error,
        accuracy: r[split].oneVsRestAccuracy[digit]!,
      })),
    ),
  );

const summaryRows = (records: EpochRecord[]): SummaryRow[] =>
  records.flatMap((r) =>
    SPLITS.map((split) => ({
      epoch: r.epoch,
      split,
      loss: r[split].loss,
      top1: r[split].top1,
      meanError: mean(r[split].oneVsRestError),
      meanAccuracy: mean(r[split].oneVsRestAccuracy),
    })),
  );

const COLOR = {
  field: 'split',
  type: 'nominal',
  title: 'split',
  scale: { domain: ['train', 'test'], range: ['#4c78a8', '#e45756'] },
} as const;

/**
 * A log scale for errors: they fall by orders of magnitude, and a linear scale would show only
 * epoch 0. Zeros have no logarithm, so they are drawn at a floor below the smallest positive value.
 */
export const logErrorScale = (values: number[]): { floor: number; hasZero: boolean } => {
  const positive = values.filter((v) => v > 0);
  // A loop, not Math.min(...positive): spreading 160 000 values (8 000 epochs) overflows the stack.
  const smallest = positive.length > 0 ? positive.reduce((a, b) => Math.min(a, b)) : 1e-4;
  // Via the string form, so the floor is exactly 1e-5 rather than 10 ** -5 = 0.000009999999999999999.
  const floor = Number(`1e${Math.floor(Math.log10(smallest / 2))}`);
  return { floor, hasZero: values.some((v) => v <= 0) };
};

/**
 * A zoomed linear domain for accuracies: fitted to epochs >= 1 when there are any, since epoch 0
 * (before training) sits far below and would flatten everything after it.
 */
export const zoomedDomain = (
  values: { epoch: number; value: number }[],
): { domain: [number, number]; clipsEpoch0: boolean } => {
  const trained = values.filter((v) => v.epoch >= 1);
  const basis = (trained.length > 0 ? trained : values).map((v) => v.value);
  const lo = basis.reduce((a, b) => Math.min(a, b), Number.POSITIVE_INFINITY);
  const hi = basis.reduce((a, b) => Math.max(a, b), lo);
  const pad = Math.max((hi - lo) * 0.08, 1e-4);
  const domain: [number, number] = [Math.max(0, lo - pad), Math.min(1, hi + pad)];
  return { domain, clipsEpoch0: values.some((v) => v.value < domain[0]) };
};

const subtitleParts = (parts: (string | false)[]): string[] =>
  parts.filter((p): p is string => !!p);

/** Small multiples (5 × 2) of one per-digit metric over epochs, train against test. */
const perDigitSpec = (rows: DigitRow[], metric: 'error' | 'accuracy'): vl.TopLevelSpec => {
  const isError = metric === 'error';
  const log = logErrorScale(rows.map((r) => r.error));
  const zoom = zoomedDomain(rows.map((r) => ({ epoch: r.epoch, value: r.accuracy })));
  const field = isError ? 'shown' : 'accuracy';
  return {
    title: {
      text: `One-vs-rest ${metric} per digit over epochs`,
      subtitle: subtitleParts([
        isError && 'log scale',
        isError && log.hasZero && `an error of 0 is drawn at ${log.floor}`,
        !isError && 'y zoomed to the trained epochs',
        !isError && zoom.clipsEpoch0 && 'epoch 0 (before training) lies below the frame',
      ]).join('; '),
    },
    data: { values: rows },
    transform: isError ? [{ calculate: `max(datum.error, ${log.floor})`, as: 'shown' }] : [],
    facet: {
      field: 'digit',
      type: 'ordinal',
      title: null,
      header: { labelExpr: "'digit ' + datum.value", labelOrient: 'top' },
    },
    columns: 5,
    spec: {
      width: 170,
      height: 120,
      mark: { type: 'line', point: { size: 18 }, clip: true, strokeWidth: 1.5 },
      encoding: {
        x: EPOCH_X,
        y: {
          field,
          type: 'quantitative',
          title: `one-vs-rest ${metric}`,
          scale: isError
            ? { type: 'log', domainMin: log.floor, padding: 6 }
            : { domain: zoom.domain, nice: false, zero: false },
          axis: isError ? { format: '~g', tickCount: 4 } : { format: '.3~f', tickCount: 4 },
        },
        color: COLOR,
      },
    },
    config: CONFIG,
  } as vl.TopLevelSpec;
};

/** Mean one-vs-rest error (log) and accuracy (zoomed) over epochs, side by side. */
const meanSpec = (rows: SummaryRow[]): vl.TopLevelSpec => {
  const log = logErrorScale(rows.map((r) => r.meanError));
  const zoom = zoomedDomain(rows.map((r) => ({ epoch: r.epoch, value: r.meanAccuracy })));
  const panel = (field: string, title: string, scale: object, axis: object) => ({
    width: 320,
    height: 240,
    mark: { type: 'line', point: { size: 24 }, clip: true },
    encoding: {
      x: EPOCH_X,
      y: { field, type: 'quantitative', title, scale, axis },
      color: COLOR,
    },
  });
  return {
    title: {
      text: 'Mean one-vs-rest error and accuracy over epochs',
      subtitle: subtitleParts([
        'error on a log scale',
        log.hasZero && `an error of 0 is drawn at ${log.floor}`,
        'accuracy zoomed to the trained epochs',
      ]).join('; '),
    },
    data: { values: rows },
    transform: [{ calculate: `max(datum.meanError, ${log.floor})`, as: 'shownError' }],
    hconcat: [
      panel(
        'shownError',
        'mean one-vs-rest error',
        { type: 'log', domainMin: log.floor, padding: 6 },
        { format: '~g' },
      ),
      panel(
        'meanAccuracy',
        'mean one-vs-rest accuracy',
        { domain: zoom.domain, nice: false, zero: false },
        { format: '.4~f' },
      ),
    ],
    config: CONFIG,
  } as vl.TopLevelSpec;
};

/** Mean loss over epochs, train against test (log scale when every loss is positive). */
const lossSpec = (rows: SummaryRow[]): vl.TopLevelSpec => {
  const positive = rows.every((r) => r.loss > 0);
  return {
    title: {
      text: 'Mean loss over epochs',
      subtitle: positive ? 'log scale' : 'linear scale (some losses are not positive)',
    },
    data: { values: rows },
    width: 520,
    height: 300,
    mark: { type: 'line', point: { size: 30 } },
    encoding: {
      x: EPOCH_X,
      y: {
        field: 'loss',
        type: 'quantitative',
        title: 'mean loss',
        scale: positive ? { type: 'log', padding: 6 } : { zero: false, padding: 6 },
        axis: { format: '~g' },
      },
      color: COLOR,
    },
    config: CONFIG,
  } as vl.TopLevelSpec;
};

/** Top-1 accuracy over epochs, train against test, zoomed to the trained epochs. */
const top1Spec = (rows: SummaryRow[]): vl.TopLevelSpec => {
  const zoom = zoomedDomain(rows.map((r) => ({ epoch: r.epoch, value: r.top1 })));
  return {
    title: {
      text: 'Top-1 accuracy over epochs',
      subtitle: subtitleParts([
        'y zoomed to the trained epochs',
        zoom.clipsEpoch0 && 'epoch 0 (before training) lies below the frame',
      ]).join('; '),
    },
    data: { values: rows },
    width: 520,
    height: 300,
    mark: { type: 'line', point: { size: 30 }, clip: true },
    encoding: {
      x: EPOCH_X,
      y: {
        field: 'top1',
        type: 'quantitative',
        title: 'top-1 accuracy',
        scale: { domain: zoom.domain, nice: false, zero: false },
        axis: { format: '.2~%' },
      },
      color: COLOR,
    },
    config: CONFIG,
  } as vl.TopLevelSpec;
};

/** The final epoch's per-digit test error as bars, labelled, with the mean as a rule. */
const finalBarsSpec = (final: EpochRecord): vl.TopLevelSpec => {
  const values = final.test.oneVsRestError.map((error, digit) => ({ digit, error }));
  const avg = mean(final.test.oneVsRestError);
  return {
    title: {
      text: `Test one-vs-rest error per digit after epoch ${final.epoch}`,
      subtitle: `dashed line: mean ${avg.toPrecision(3)} (= 2 × top-1 error / ${values.length})`,
    },
    width: 520,
    height: 300,
    layer: [
      {
        data: { values },
        mark: { type: 'bar', color: '#e45756', width: { band: 0.7 } },
        encoding: {
          x: { field: 'digit', type: 'ordinal', title: 'digit', axis: { labelAngle: 0 } },
          y: {
            field: 'error',
            type: 'quantitative',
            title: 'one-vs-rest error (test)',
            axis: { format: '~g' },
          },
        },
      },
      {
        data: { values },
        mark: { type: 'text', dy: -6, fontSize: 10, color: '#333' },
        encoding: {
          x: { field: 'digit', type: 'ordinal' },
          y: { field: 'error', type: 'quantitative' },
          text: { field: 'error', type: 'quantitative', format: '.2r' },
        },
      },
      {
        data: { values: [{ mean: avg }] },
        mark: { type: 'rule', strokeDash: [6, 4], color: '#333' },
        encoding: { y: { field: 'mean', type: 'quantitative' } },
      },
    ],
    config: CONFIG,
  } as vl.TopLevelSpec;
};

/**
 * Renders the run's plots to SVG: per-digit error and accuracy over epochs (small multiples),
 * mean error and accuracy, mean loss, top-1 accuracy, and the final per-digit test error.
 */
export const renderPlots = async (records: EpochRecord[]): Promise<Plot[]> => {
  if (records.length === 0) throw new Error('renderPlots: expected at least 1 epoch record, got 0');
  const sorted = [...records].sort((a, b) => a.epoch - b.epoch);
  const digits = digitRows(sorted);
  const summary = summaryRows(sorted);
  const final = sorted[sorted.length - 1]!;
  const specs: [string, string, vl.TopLevelSpec][] = [
    ['digit-error', 'One-vs-rest error per digit', perDigitSpec(digits, 'error')],
    ['digit-accuracy', 'One-vs-rest accuracy per digit', perDigitSpec(digits, 'accuracy')],
    ['mean-error-accuracy', 'Mean one-vs-rest error and accuracy', meanSpec(summary)],
    ['loss', 'Mean loss', lossSpec(summary)],
    ['top1', 'Top-1 accuracy', top1Spec(summary)],
    ['final-test-error', 'Final per-digit test error', finalBarsSpec(final)],
  ];
  const plots: Plot[] = [];
  // One at a time: each render is CPU-bound and the machine is shared.
  for (const [name, title, spec] of specs)
    plots.push({ name, title, spec, svg: await render(spec) });
  return plots;
};
