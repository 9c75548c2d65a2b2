import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runNames, writeComparison } from '../../src/report/compare.js';
import { reportConfig } from '../../src/run/config.js';
import type { EpochRecord } from '../../src/run/metrics.js';

const record = (epoch: number, rate: number): EpochRecord => {
  const split = (scale: number) => {
    const err = Array.from({ length: 10 }, () => scale / (1 + rate * epoch));
    return {
      loss: 2.3 / (1 + rate * epoch),
      top1: 1 - 5 * err[0]!,
      oneVsRestError: err,
      oneVsRestAccuracy: err.map((e) => 1 - e),
    };
  };
  return { epoch, seconds: epoch, steps: 10 * epoch, train: split(0.02), test: split(0.03) };
};
const config = (lr: number) => ({ ...reportConfig, epochs: 2, lr, trainSize: 500, testSize: 100 });

let root: string;
const makeRun = (name: string, lr: number): string => {
  const dir = path.join(root, name);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(config(lr)));
  fs.writeFileSync(
    path.join(dir, 'metrics.jsonl'),
    [0, 1, 2].map((e) => `${JSON.stringify(record(e, lr * 10))}\n`).join(''),
  );
  return dir;
};
beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'compare-'));
});
afterEach(() => {
  fs.rmSync(root, { recursive: true, force: true });
});

describe('writeComparison', () => {
  it('overlays the runs, names them by folder, and tables what differs and where they ended', async () => {
    const a = makeRun('slow', 0.05);
    const b = makeRun('fast', 0.2);
    const out = path.join(root, 'cmp');
    const written = await writeComparison([a, b], out);
    expect(written.names).toEqual(['slow', 'fast']);
    for (const name of ['compare-loss', 'compare-top1', 'compare-mean-error']) {
      const svg = fs.readFileSync(path.join(out, 'plots', `${name}.svg`), 'utf8');
      // One legend entry per run, and both runs' curves drawn.
      expect(svg).toContain('>slow<');
      expect(svg).toContain('>fast<');
      expect(
        fs
          .readFileSync(path.join(out, 'plots', `${name}.png`))
          .subarray(1, 4)
          .toString(),
      ).toBe('PNG');
    }
    expect(written.markdown).toContain('Settings marked * differ between the runs: lr.');
    expect(written.markdown).toContain('| lr * | `0.05` | `0.2` |');
    const fast = record(2, 2);
    expect(written.markdown).toContain(`| fast | 2 | ${(100 * fast.test.top1).toFixed(2)} % |`);
    expect(written.html).toContain('<td>lr *</td><td>0.05</td><td>0.2</td>');
    expect(written.html.match(/<figure id="compare-/g)).toHaveLength(3);
    expect(written.html).not.toMatch(/src="/);
  });

  it('labels folders that share a name by their path, and names a missing run', async () => {
    expect(runNames(['x/run', 'y/run', 'z/other'])).toEqual(['x/run', 'y/run', 'other']);
    await expect(writeComparison([path.join(root, 'nope')], path.join(root, 'o'))).rejects.toThrow(
      /compare: run directory .*nope does not exist/,
    );
  });
});
