import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeFileAtomic } from '@difftape/nn/node';
import { type Dataset, loadIdxDir, subset } from '../data.js';
import { makeDir } from '../make-dir.js';
import type { TrainConfig } from '../run/config.js';
import type { EpochRecord } from '../run/metrics.js';
import { analyseCheckpoint, type TestAnalysis } from './analysis.js';
import { confusionSpec } from './confusion.js';
import { mistakesSvg } from './mistakes.js';
import { type Plot, renderPlots } from './plots.js';
import { svgToPng } from './png.js';
import { readRunFolder } from './run-folder.js';
import { learningRateRows, learningRateSpec, scheduleOf } from './schedule.js';
import { formatReportTableMarkdown, reportTable } from './table.js';
import { render } from './vega.js';

/** What `writeReport` produced: both documents' text, every file written, and reading warnings. */
export interface WrittenReport {
  markdown: string;
  html: string;
  files: string[];
  warnings: string[];
}

/** What `writeReport` needs beyond the run folder. */
export interface ReportOptions {
  /** The test set the run was measured on (default: the bundled one, cut to the config's testSize). */
  readonly test?: Dataset;
}

/** Escapes text for HTML. */
export const escapeHtml = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

const configRows = (config: TrainConfig | undefined): [string, string][] =>
  config === undefined
    ? []
    : Object.entries(config).map(([k, v]): [string, string] => [
        k,
        typeof v === 'string' ? v : JSON.stringify(v),
      ]);

const percent = (x: number): string => `${(100 * x).toFixed(2)} %`;
const mean = (xs: number[]): number => xs.reduce((s, x) => s + x, 0) / xs.length;

/** The per-epoch summary: epoch, seconds, loss and top-1 for both splits, mean test error. */
const epochRows = (records: EpochRecord[]): string[][] =>
  records.map((r) => [
    String(r.epoch),
    r.seconds.toFixed(1),
    r.train.loss.toFixed(4),
    r.test.loss.toFixed(4),
    percent(r.train.top1),
    percent(r.test.top1),
    mean(r.test.oneVsRestError).toFixed(5),
  ]);

const EPOCH_HEADER = [
  'epoch',
  'seconds',
  'train loss',
  'test loss',
  'train top-1',
  'test top-1',
  'mean test one-vs-rest error',
];

/** A Markdown table. */
export const mdTable = (header: string[], rows: string[][], align: string[]): string =>
  [
    `| ${header.join(' | ')} |`,
    `| ${align.join(' | ')} |`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ].join('\n');

/** An HTML table with escaped cells. */
export const htmlTable = (header: string[], rows: string[][]): string =>
  [
    '<table>',
    `<thead><tr>${header.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr></thead>`,
    '<tbody>',
    ...rows.map((r) => `<tr>${r.map((c) => `<td>${escapeHtml(c)}</td>`).join('')}</tr>`),
    '</tbody>',
    '</table>',
  ].join('\n');

interface ReportInput {
  name: string;
  config: TrainConfig | undefined;
  records: EpochRecord[];
  final: EpochRecord;
  plots: Plot[];
  warnings: string[];
}

/** Prefixes the SVG's ids with `name`, so several inline SVGs in one page cannot share an id. */
export const scopeIds = (svg: string, name: string): string =>
  svg
    .replace(/\bid="/g, `id="${name}-`)
    .replace(/url\(#/g, `url(#${name}-`)
    .replace(/href="#/g, `href="#${name}-`);

const markdownOf = (r: ReportInput): string => {
  const config = configRows(r.config);
  return [
    `# MNIST run report: ${r.name}`,
    '',
    ...r.warnings.map((w) => `> Warning: ${w}`),
    ...(r.warnings.length > 0 ? [''] : []),
    '## Configuration',
    '',
    config.length > 0
      ? mdTable(
          ['key', 'value'],
          config.map(([k, v]) => [k, `\`${v}\``]),
          ['---', '---'],
        )
      : 'No `config.json` in the run directory.',
    '',
    `## Final metrics (epoch ${r.final.epoch})`,
    '',
    'Per-digit one-vs-rest error and accuracy, as in the report:',
    '',
    formatReportTableMarkdown(r.final),
    '',
    '## Plots',
    '',
    ...r.plots.flatMap((p) => [`### ${p.title}`, '', `![${p.title}](plots/${p.name}.svg)`, '']),
    '## Per-epoch summary',
    '',
    'Epoch 0 is measured before training.',
    '',
    mdTable(
      EPOCH_HEADER,
      epochRows(r.records),
      EPOCH_HEADER.map(() => '---:'),
    ),
    '',
  ].join('\n');
};

/** The CSS of the reports. */
export const STYLE = `
body { font-family: Helvetica, Arial, sans-serif; max-width: 1200px; margin: 2em auto; padding: 0 1em; color: #222; }
table { border-collapse: collapse; margin: 1em 0; font-variant-numeric: tabular-nums; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: right; }
th:first-child, td:first-child { text-align: left; }
.warning { background: #fff4e5; border-left: 4px solid #e69500; padding: 0.5em 1em; }
figure { margin: 1.5em 0; }
svg { max-width: 100%; height: auto; }
`;

/** A figure of the HTML report: charts carry class `chart`; the image grid does not. */
export const figureHtml = (p: Plot): string =>
  `<figure id="${p.name}"${p.spec ? ' class="chart"' : ''}>\n${scopeIds(p.svg, p.name)}\n<figcaption>${escapeHtml(p.title)}</figcaption>\n</figure>`;

const htmlOf = (r: ReportInput): string => {
  const table = reportTable(r.final);
  const config = configRows(r.config);
  return [
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    `<title>MNIST run report: ${escapeHtml(r.name)}</title>`,
    `<style>${STYLE}</style>`,
    '</head>',
    '<body>',
    `<h1>MNIST run report: ${escapeHtml(r.name)}</h1>`,
    ...r.warnings.map((w) => `<p class="warning">Warning: ${escapeHtml(w)}</p>`),
    '<h2>Configuration</h2>',
    config.length > 0
      ? htmlTable(['key', 'value'], config)
      : '<p>No <code>config.json</code> in the run directory.</p>',
    `<h2>Final metrics (epoch ${r.final.epoch})</h2>`,
    '<p>Per-digit one-vs-rest error and accuracy, as in the report:</p>',
    htmlTable(table.header, table.rows),
    ...table.notes.map((n) => `<p>${escapeHtml(n)}</p>`),
    '<h2>Plots</h2>',
    ...r.plots.map(figureHtml),
    '<h2>Per-epoch summary</h2>',
    '<p>Epoch 0 is measured before training.</p>',
    htmlTable(EPOCH_HEADER, epochRows(r.records)),
    '</body>',
    '</html>',
    '',
  ].join('\n');
};

/** The test set a run was measured on: the bundled test split cut to the config's size. */
const defaultTestSet = (config: TrainConfig | undefined): Dataset => {
  const test = loadIdxDir().test;
  return subset(test, Math.min(config?.testSize ?? test.count, test.count));
};

/** The heatmap and the mistakes grid of a test analysis. */
const analysisPlots = async (analysis: TestAnalysis): Promise<Plot[]> => {
  const spec = confusionSpec(analysis.confusion);
  return [
    { name: 'confusion', title: 'Confusion matrix (test)', spec, svg: await render(spec) },
    { name: 'mistakes', title: 'Most confident mistakes (test)', svg: mistakesSvg(analysis) },
  ];
};

/** Writes each figure as `<dir>/<name>.svg` and `.png`; returns the files written. */
export const writePlotFiles = (dir: string, plots: Plot[]): string[] => {
  makeDir(dir);
  return plots.flatMap((p) => {
    const svg = path.join(dir, `${p.name}.svg`);
    const png = path.join(dir, `${p.name}.png`);
    writeFileAtomic(svg, p.svg);
    writeFileAtomic(png, svgToPng(p.svg));
    return [svg, png];
  });
};

/**
 * Reads `<runDir>/metrics.jsonl` (and `config.json` when present), renders the plots (with the
 * learning rate when a schedule is on, and, when the run has a checkpoint, the test set's
 * confusion matrix and most confident mistakes), and writes `plots/<name>.svg` and `.png`,
 * `report.md` and a self-contained `report.html`, each atomically.
 */
export const writeReport = async (
  runDir: string,
  options: ReportOptions = {},
): Promise<WrittenReport> => {
  const { records, final, config, warnings } = readRunFolder(runDir);
  const plots = await renderPlots(records);
  const schedule = scheduleOf(config);
  if (config && schedule) {
    const spec = learningRateSpec(learningRateRows(config, schedule, records), schedule);
    plots.push({ name: 'learning-rate', title: 'Learning rate', spec, svg: await render(spec) });
  }
  const checkpoint = path.join(runDir, 'checkpoint.safetensors');
  if (fs.existsSync(checkpoint)) {
    const test = options.test ?? defaultTestSet(config);
    plots.push(...(await analysisPlots(analyseCheckpoint(checkpoint, test))));
  } else {
    warnings.push(`${checkpoint} is missing; the report has no confusion matrix or mistakes`);
  }

  const files = writePlotFiles(path.join(runDir, 'plots'), plots);
  const input: ReportInput = {
    name: path.basename(path.resolve(runDir)),
    config,
    records,
    final,
    plots,
    warnings,
  };
  const markdown = markdownOf(input);
  const html = htmlOf(input);
  for (const [name, text] of [
    ['report.md', markdown],
    ['report.html', html],
  ] as const) {
    const file = path.join(runDir, name);
    writeFileAtomic(file, text);
    files.push(file);
  }
  return { markdown, html, files, warnings };
};
