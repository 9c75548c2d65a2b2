import { beforeAll, describe, expect, it } from 'vitest';
import { logErrorScale, type Plot, renderPlots, zoomedDomain } from '../../src/report/plots.js';
import type { EpochRecord } from '../../src/run/metrics.js';

/** A deterministic 3-epoch run (epochs 0..3) whose errors fall and differ per digit. */
const synthetic = (epochs: number): EpochRecord[] =>
  Array.from({ length: epochs + 1 }, (_, epoch) => {
    const split = (scale: number) => {
      const err = Array.from({ length: 10 }, (_, k) => (scale * (k + 1)) / (epoch + 1) ** 2);
      const meanErr = err.reduce((a, b) => a + b, 0) / 10;
      return {
        loss: 2 / (epoch + 1),
        top1: 1 - 5 * meanErr,
        oneVsRestError: err,
        oneVsRestAccuracy: err.map((e) => 1 - e),
      };
    };
    return {
      epoch,
      seconds: epoch === 0 ? 0 : 2,
      steps: 10 * epoch,
      train: split(0.01),
      test: split(0.015),
    };
  });

const count = (s: string, needle: string): number => s.split(needle).length - 1;

describe('renderPlots', () => {
  let plots: Plot[];
  const byName = (name: string): Plot => plots.find((p) => p.name === name)!;
  beforeAll(async () => {
    plots = await renderPlots(synthetic(3));
  });

  it('renders the six plots as standalone SVG documents', () => {
    expect(plots.map((p) => p.name)).toEqual([
      'digit-error',
      'digit-accuracy',
      'mean-error-accuracy',
      'loss',
      'top1',
      'final-test-error',
    ]);
    for (const p of plots) {
      expect(p.svg.startsWith('<svg')).toBe(true);
      expect(p.svg.trimEnd().endsWith('</svg>')).toBe(true);
      expect(p.title.length).toBeGreaterThan(0);
      expect(p.spec).toHaveProperty('config');
      const xTitle = p.name === 'final-test-error' ? 'digit' : 'epoch';
      expect(p.svg.includes(`X-axis titled '${xTitle}'`)).toBe(true);
    }
  });

  it('draws 10 digit panels with a point per epoch, split and digit', () => {
    for (const name of ['digit-error', 'digit-accuracy']) {
      const svg = byName(name).svg;
      for (let k = 0; k < 10; k++) expect(svg).toContain(`>digit ${k}</text>`);
      expect(count(svg, 'aria-roledescription="point"')).toBe(4 * 2 * 10);
      expect(svg).toContain('split: train');
      expect(svg).toContain('split: test');
      expect(svg).toContain('Symbol legend titled');
    }
    expect(byName('digit-error').svg).toContain("titled 'one-vs-rest error' for a log scale");
    expect(byName('digit-accuracy').svg).toContain("titled 'one-vs-rest accuracy'");
  });

  it('plots means, loss and top-1 with a point per epoch and split', () => {
    expect(count(byName('mean-error-accuracy').svg, 'aria-roledescription="point"')).toBe(
      2 * 4 * 2,
    );
    expect(byName('mean-error-accuracy').svg).toContain("titled 'mean one-vs-rest error'");
    expect(byName('mean-error-accuracy').svg).toContain("titled 'mean one-vs-rest accuracy'");
    expect(count(byName('loss').svg, 'aria-roledescription="point"')).toBe(4 * 2);
    expect(byName('loss').svg).toContain("titled 'mean loss' for a log scale");
    expect(count(byName('top1').svg, 'aria-roledescription="point"')).toBe(4 * 2);
    expect(byName('top1').svg).toContain("titled 'top-1 accuracy'");
    // The final point: epoch 3, train top-1 = 1 − 5 × 0.01 × 5.5 / 16.
    expect(byName('top1').svg).toContain(
      `epoch: 3; top-1 accuracy: ${(100 * (1 - (5 * 0.055) / 16)).toFixed(2)}%`,
    );
  });

  it('draws the final per-digit test error as 10 labelled bars', () => {
    const svg = byName('final-test-error').svg;
    expect(count(svg, 'aria-roledescription="bar"')).toBe(10);
    expect(svg).toContain('after epoch 3');
    expect(svg).toContain("titled 'one-vs-rest error (test)'");
  });

  it('draws zero errors at a floor and says so', async () => {
    const records = synthetic(2);
    records[2]!.train.oneVsRestError[4] = 0;
    const [digitError] = await renderPlots(records);
    // Smallest positive error: 0.01 / 3² ≈ 0.0011; half of it rounds down to the decade 1e-4.
    expect(digitError!.svg.includes('an error of 0 is drawn at 0.0001')).toBe(true);
    expect(digitError!.svg.includes('epoch: 2; one-vs-rest error: 0.0001; split: train')).toBe(
      true,
    );
  });

  it('rejects an empty run', async () => {
    await expect(renderPlots([])).rejects.toThrow(
      'renderPlots: expected at least 1 epoch record, got 0',
    );
  });
});

describe('scales over long runs', () => {
  it('handle the 160 000 values of an 8 000-epoch run (no spread onto the stack)', () => {
    const n = 160_000;
    const values = Array.from({ length: n }, (_, i) => 0.5 / (i + 1));
    expect(logErrorScale(values)).toEqual({ floor: 1e-6, hasZero: false });
    const zoom = zoomedDomain(values.map((value, i) => ({ epoch: Math.floor(i / 20), value })));
    expect(zoom.domain[0]).toBe(0);
    // Fitted to epochs >= 1: the largest value there is the 21st.
    const [hi, lo] = [0.5 / 21, 0.5 / n];
    expect(zoom.domain[1]).toBe(hi + (hi - lo) * 0.08);
  });
});
