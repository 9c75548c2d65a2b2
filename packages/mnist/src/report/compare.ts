import * as path from 'node:path';
import { writeFileAtomic } from '@difftape/nn/node';
import type * as vl from 'vega-lite';
import { makeDir } from '../make-dir.js';
import type { Plot } from './plots.js';
import { logErrorScale, zoomedDomain } from './plots.js';
import { escapeHtml, figureHtml, htmlTable, mdTable, STYLE, writePlotFiles } from './report.js';
import { type RunFolder, readRunFolder } from './run-folder.js';
import { CONFIG, EPOCH_X, render } from './vega.js';

/** What `writeComparison` produced. */
export interface WrittenComparison {
  readonly names: string[];
  readonly html: string;
  readonly markdown: string;
  readonly files: string[];
  readonly warnings: string[];
}

/** Each run's label: its folder's name, or the path as given when two folders share a name. */
export const runNames = (dirs: readonly string[]): string[] => {
  const base = dirs.map((d) => path.basename(path.resolve(d)));
  return base.map((b, i) => (base.filter((x) => x === b).length > 1 ? dirs[i]! : b));
};

interface CurveRow {
  run: string;
  split: 'train' | 'test';
  epoch: number;
  loss: number;
  top1: number;
  meanError: number;
}

const mean = (xs: number[]): number => xs.reduce((s, x) => s + x, 0) / xs.length;

const curveRows = (runs: RunFolder[], names: string[]): CurveRow[] =>
  runs.flatMap((r, i) =>
    r.records.flatMap((rec) =>
      (['train', 'test'] as const).map((split) => ({
        run: names[i]!,
        split,
        epoch: rec.epoch,
        loss: rec[split].loss,
        top1: rec[split].top1,
        meanError: mean(rec[split].oneVsRestError),
      })),
    ),
  );

/** One metric over epochs: a colour per run, test solid and train dashed. */
const overlaySpec = (
  rows: CurveRow[],
  names: string[],
  field: 'loss' | 'top1' | 'meanError',
  title: string,
  y: object,
  subtitle: string,
): vl.TopLevelSpec =>
  ({
    title: { text: title, subtitle },
    data: { values: rows },
    width: 560,
    height: 320,
    mark: { type: 'line', point: { size: 20 }, clip: true },
    encoding: {
      x: EPOCH_X,
      y: { field, type: 'quantitative', ...y },
      color: { field: 'run', type: 'nominal', title: 'run', scale: { domain: names } },
      strokeDash: {
        field: 'split',
        type: 'nominal',
        title: 'split',
        scale: {
          domain: ['test', 'train'],
          range: [
            [1, 0],
            [5, 3],
          ],
        },
      },
    },
    config: CONFIG,
  }) as vl.TopLevelSpec;

/** The comparison's charts: loss (log), top-1 (zoomed) and mean one-vs-rest error (log). */
export const comparisonPlots = async (runs: RunFolder[], names: string[]): Promise<Plot[]> => {
  const rows = curveRows(runs, names);
  const log = logErrorScale(rows.map((r) => r.meanError));
  const zoom = zoomedDomain(rows.map((r) => ({ epoch: r.epoch, value: r.top1 })));
  const positive = rows.every((r) => r.loss > 0);
  const specs: [string, string, vl.TopLevelSpec][] = [
    [
      'compare-loss',
      'Mean loss',
      overlaySpec(
        rows,
        names,
        'loss',
        'Mean loss over epochs',
        {
          title: 'mean loss',
          scale: positive ? { type: 'log', padding: 6 } : { zero: false },
          axis: { format: '~g' },
        },
        `${positive ? 'log scale; ' : ''}test solid, train dashed`,
      ),
    ],
    [
      'compare-top1',
      'Top-1 accuracy',
      overlaySpec(
        rows,
        names,
        'top1',
        'Top-1 accuracy over epochs',
        {
          title: 'top-1 accuracy',
          scale: { domain: zoom.domain, nice: false, zero: false },
          axis: { format: '.2~%' },
        },
        'y zoomed to the trained epochs; test solid, train dashed',
      ),
    ],
    [
      'compare-mean-error',
      'Mean one-vs-rest error',
      overlaySpec(
        rows.map((r) => ({ ...r, meanError: Math.max(r.meanError, log.floor) })),
        names,
        'meanError',
        'Mean one-vs-rest error over epochs',
        {
          title: 'mean one-vs-rest error',
          scale: { type: 'log', domainMin: log.floor, padding: 6 },
          axis: { format: '~g' },
        },
        'log scale; test solid, train dashed',
      ),
    ],
  ];
  const plots: Plot[] = [];
  for (const [name, title, spec] of specs)
    plots.push({ name, title, spec, svg: await render(spec) });
  return plots;
};

const show = (v: unknown): string =>
  v === undefined ? '—' : typeof v === 'string' ? v : JSON.stringify(v);

/** Settings as rows (one column per run), the ones that differ first. */
export const settingsTable = (
  runs: RunFolder[],
  names: string[],
): { header: string[]; rows: string[][]; differing: string[] } => {
  const keys = [...new Set(runs.flatMap((r) => Object.keys(r.config ?? {})))];
  const settingOf = (r: RunFolder, k: string): string =>
    show(Object.entries(r.config ?? {}).find(([key]) => key === k)?.[1]);
  const differs = (k: string) => new Set(runs.map((r) => settingOf(r, k))).size > 1;
  const differing = keys.filter(differs);
  const ordered = [...differing, ...keys.filter((k) => !differs(k))];
  return {
    header: ['setting', ...names],
    rows: ordered.map((k) => [
      differing.includes(k) ? `${k} *` : k,
      ...runs.map((r) => settingOf(r, k)),
    ]),
    differing,
  };
};

const percent = (x: number): string => `${(100 * x).toFixed(2)} %`;

/** One row per run: its last epoch's test and train metrics. */
export const finalTable = (
  runs: RunFolder[],
  names: string[],
): { header: string[]; rows: string[][] } => ({
  header: [
    'run',
    'epoch',
    'test top-1',
    'train top-1',
    'test loss',
    'train loss',
    'mean test one-vs-rest error',
  ],
  rows: runs.map((r, i) => [
    names[i]!,
    String(r.final.epoch),
    percent(r.final.test.top1),
    percent(r.final.train.top1),
    r.final.test.loss.toFixed(4),
    r.final.train.loss.toFixed(4),
    mean(r.final.test.oneVsRestError).toFixed(5),
  ]),
});

/**
 * Compares run folders: writes `<outDir>/plots/<name>.svg` and `.png` (loss, top-1 and mean
 * one-vs-rest error, a colour per run), `report.md` and a self-contained `report.html` with the
 * runs' settings and final metrics.
 */
export const writeComparison = async (
  runDirs: readonly string[],
  outDir: string,
): Promise<WrittenComparison> => {
  if (runDirs.length === 0) throw new Error('writeComparison: expected at least one run folder');
  const runs = runDirs.map((d) => readRunFolder(d, 'compare'));
  const names = runNames(runDirs);
  const warnings = runs.flatMap((r) => r.warnings);
  const plots = await comparisonPlots(runs, names);
  const settings = settingsTable(runs, names);
  const finals = finalTable(runs, names);
  const title = `MNIST runs compared: ${names.join(', ')}`;
  const note =
    settings.differing.length > 0
      ? `Settings marked * differ between the runs: ${settings.differing.join(', ')}.`
      : 'All recorded settings are the same.';
  makeDir(outDir);
  const files = writePlotFiles(path.join(outDir, 'plots'), plots);
  const html = [
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    `<title>${escapeHtml(title)}</title>`,
    `<style>${STYLE}</style>`,
    '</head>',
    '<body>',
    `<h1>${escapeHtml(title)}</h1>`,
    ...warnings.map((w) => `<p class="warning">Warning: ${escapeHtml(w)}</p>`),
    '<h2>Final metrics</h2>',
    htmlTable(finals.header, finals.rows),
    '<h2>Settings</h2>',
    `<p>${escapeHtml(note)}</p>`,
    htmlTable(settings.header, settings.rows),
    '<h2>Curves</h2>',
    ...plots.map(figureHtml),
    '</body>',
    '</html>',
    '',
  ].join('\n');
  const markdown = [
    `# ${title}`,
    '',
    ...warnings.map((w) => `> Warning: ${w}`),
    ...(warnings.length > 0 ? [''] : []),
    '## Final metrics',
    '',
    mdTable(
      finals.header,
      finals.rows,
      finals.header.map((_, i) => (i === 0 ? '---' : '---:')),
    ),
    '',
    '## Settings',
    '',
    note,
    '',
    mdTable(
      settings.header,
      settings.rows.map(([k, ...vs]) => [k!, ...vs.map((v) => `\`${v}\``)]),
      settings.header.map(() => '---'),
    ),
    '',
    '## Curves',
    '',
    ...plots.flatMap((p) => [`### ${p.title}`, '', `![${p.title}](plots/${p.name}.svg)`, '']),
  ].join('\n');
  for (const [name, text] of [
    ['report.md', markdown],
    ['report.html', html],
  ] as const) {
    const file = path.join(outDir, name);
    writeFileAtomic(file, text);
    files.push(file);
  }
  return { names, html, markdown, files, warnings };
};
