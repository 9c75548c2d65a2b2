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
    expect(names).toEqual(
      [
        'plots/digit-accuracy.svg',
        'plots/digit-error.svg',
        'plots/final-test-error.svg',
        'plots/loss.svg',
        'plots/mean-error-accuracy.svg',
        'plots/top1.svg',
        'report.html',
        'report.md',
      ].sort(),
    );
    for (const f of out.files) expect(fs.statSync(f).size).toBeGreaterThan(0);
    expect(fs.readFileSync(path.join(dir, 'report.md'), 'utf8')).toBe(out.markdown);
    expect(fs.readFileSync(path.join(dir, 'report.html'), 'utf8')).toBe(out.html);
    // Atomic writes leave no temporary files behind.
    expect(fs.readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    expect(out.warnings).toEqual([]);

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
    expect(out.warnings).toHaveLength(1);
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
