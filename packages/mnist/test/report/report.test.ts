import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeReport } from '../../src/report/report.js';
import type { EpochRecord } from '../../src/run/metrics.js';

const record = (epoch: number): EpochRecord => {
  const split = (scale: number) => {
    const err = Array.from({ length: 10 }, (_, k) => (scale * (k + 2)) / (epoch + 1));
    const meanErr = err.reduce((a, b) => a + b, 0) / 10;
    return {
      loss: 2.3 / (epoch + 1),
      top1: 1 - 5 * meanErr,
      oneVsRestError: err,
      oneVsRestAccuracy: err.map((e) => 1 - e),
    };
  };
  return {
    epoch,
    seconds: epoch === 0 ? 0 : 1.25 * epoch,
    steps: 20 * epoch,
    train: split(0.004),
    test: split(0.006),
  };
};
const config = {
  epochs: 3,
  batchSize: 50,
  lr: 0.05,
  lambda: 0.001,
  optimiser: 'sgd',
  beta: 0.9,
  schedule: 'constant',
  seed: 7,
  trainSize: 1000,
  testSize: 200,
  model: { layers: [{ dense: 100 }, 'relu', { dense: 10 }] },
};

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'report-'));
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

const writeRun = (records: EpochRecord[], tail = ''): void => {
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(config));
  fs.writeFileSync(
    path.join(dir, 'metrics.jsonl'),
    records.map((r) => `${JSON.stringify(r)}\n`).join('') + tail,
  );
};

describe('writeReport', () => {
  it('writes the plots, report.md and a self-contained report.html for a 3-epoch run', async () => {
    writeRun([0, 1, 2, 3].map(record));
    const out = await writeReport(dir);

    const names = out.files.map((f) => path.relative(dir, f)).sort();
    const charts = [
      'digit-accuracy',
      'digit-error',
      'final-test-error',
      'loss',
      'mean-error-accuracy',
      'top1',
    ];
    expect(names).toEqual(
      [
        ...charts.flatMap((c) => [`plots/${c}.svg`, `plots/${c}.png`]),
        'report.html',
        'report.md',
      ].sort(),
    );
    // Real PNGs: the signature, then an IHDR at least as wide as the SVG.
    for (const c of charts) {
      const png = fs.readFileSync(path.join(dir, 'plots', `${c}.png`));
      expect(png.subarray(1, 4).toString()).toBe('PNG');
      const svgWidth = Number(
        /width="(\d+)"/.exec(fs.readFileSync(path.join(dir, 'plots', `${c}.svg`), 'utf8'))![1],
      );
      expect(png.readUInt32BE(16)).toBeGreaterThanOrEqual(svgWidth);
    }
    for (const f of out.files) expect(fs.statSync(f).size).toBeGreaterThan(0);
    expect(fs.readFileSync(path.join(dir, 'report.md'), 'utf8')).toBe(out.markdown);
    expect(fs.readFileSync(path.join(dir, 'report.html'), 'utf8')).toBe(out.html);
    // Atomic writes leave no temporary files behind.
    expect(fs.readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    // Without a checkpoint there is nothing to evaluate, and the report says so.
    expect(out.warnings).toEqual([expect.stringMatching(/checkpoint\.safetensors is missing/)]);

    const md = out.markdown;
    expect(md).toContain(`# MNIST run report: ${path.basename(dir)}`);
    expect(md).toContain('| lr | `0.05` |');
    expect(md).toContain('| model | `{"layers":[{"dense":100},"relu",{"dense":10}]}` |');
    expect(md).toContain('## Final metrics (epoch 3)');
    expect(md).toContain('| item name | 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9 | Average |');
    const final = record(3);
    expect(md).toContain(`test ${(100 * final.test.top1).toFixed(2)} %`);
    expect(md).toContain('![One-vs-rest error per digit](plots/digit-error.svg)');
    // One summary row per epoch: epoch, seconds, losses, top-1s, mean test error.
    for (const r of [0, 1, 2, 3].map(record)) {
      expect(md).toContain(
        `| ${r.epoch} | ${r.seconds.toFixed(1)} | ${r.train.loss.toFixed(4)} | ${r.test.loss.toFixed(4)} |`,
      );
    }

    const html = out.html;
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html.match(/<svg /g)).toHaveLength(6);
    expect(html).not.toMatch(/<img|src="/);
    expect(html).toContain('<td>Test Err</td>');
    expect(html).toContain('<td>lr</td><td>0.05</td>');
    expect(html).toContain('One-vs-rest error per digit');
    // Inline SVG ids are scoped per plot, so clip paths cannot collide across figures.
    const ids = [...html.matchAll(/\bid="([^"]+)"/g)].map((m) => m[1]);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('reports a truncated last line as a warning and still writes the report', async () => {
    writeRun([0, 1, 2].map(record), JSON.stringify(record(3)).slice(0, 30));
    const out = await writeReport(dir);
    expect(out.warnings).toHaveLength(2);
    expect(out.warnings[0]).toMatch(/metrics\.jsonl:4: skipped a truncated last line/);
    expect(out.markdown).toContain('## Final metrics (epoch 2)');
    expect(out.markdown).toContain('> Warning: ');
  });

  it('works without config.json, saying so', async () => {
    fs.writeFileSync(path.join(dir, 'metrics.jsonl'), `${JSON.stringify(record(0))}\n`);
    const out = await writeReport(dir);
    expect(out.markdown).toContain('No `config.json` in the run directory.');
    expect(out.warnings[0]).toMatch(/config\.json is missing/);
  });

  it('fails clearly when the run dir, the metrics or their records are missing', async () => {
    const missing = path.join(dir, 'nope');
    await expect(writeReport(missing)).rejects.toThrow(
      `writeReport: run directory ${missing} does not exist`,
    );
    await expect(writeReport(dir)).rejects.toThrow(/metrics\.jsonl is missing/);
    fs.writeFileSync(path.join(dir, 'metrics.jsonl'), '\n');
    await expect(writeReport(dir)).rejects.toThrow(/metrics\.jsonl holds no complete epoch record/);
  });

  it('fails clearly on an invalid config.json', async () => {
    writeRun([record(0)]);
    fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ ...config, lr: 'fast' }));
    await expect(writeReport(dir)).rejects.toThrow(
      /config\.json: lr: expected a finite number > 0, got "fast"/,
    );
  });
});

describe('writeReport on a trained run', () => {
  it('adds the confusion heatmap, the mistakes grid and the learning rate of a cosine schedule', async () => {
    const { train } = await import('../../src/train.js');
    const { loadIdxDir } = await import('../../src/data.js');
    const { decodeTrainConfig, reportConfig } = await import('../../src/run/config.js');
    const data = loadIdxDir();
    const config = decodeTrainConfig(
      { ...reportConfig, epochs: 2, trainSize: 300, testSize: 100, schedule: 'cosine' },
      'the test config',
    );
    await train(config, data, dir);
    const out = await writeReport(dir);
    expect(out.warnings).toEqual([]);
    for (const name of ['confusion', 'mistakes', 'learning-rate']) {
      expect(fs.statSync(path.join(dir, 'plots', `${name}.svg`)).size).toBeGreaterThan(0);
      expect(fs.statSync(path.join(dir, 'plots', `${name}.png`)).size).toBeGreaterThan(0);
      expect(out.html).toContain(`<figure id="${name}"`);
    }
    // The heatmap's counts add up to the test set; the grid holds one image per shown mistake.
    const confusion = fs.readFileSync(path.join(dir, 'plots', 'confusion.svg'), 'utf8');
    expect(confusion).toContain('100 test digits');
    const mistakes = fs.readFileSync(path.join(dir, 'plots', 'mistakes.svg'), 'utf8');
    expect(mistakes.match(/<image /g)!.length).toBeGreaterThan(0);
    expect(out.html).toMatch(/<figure id="mistakes">/);
    expect(out.html).not.toMatch(/src="/);
  });
});
