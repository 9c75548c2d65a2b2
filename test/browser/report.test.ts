import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeResult, runCli, tempDir } from '../helpers/run-cli.js';
import { collectPageProblems, launchChromium, SCREENSHOTS } from './chromium.js';

// A small cosine-schedule run: every chart of the report, the learning rate included.
const ARGS = ['--epochs', '2', '--train-size', '600', '--test-size', '300', '--schedule', 'cosine'];

let tmp: ReturnType<typeof tempDir>;
let runDir: string;
beforeAll(async () => {
  tmp = tempDir();
  runDir = join(tmp.dir, 'run');
  const args = ['train', ...ARGS, '--out', runDir];
  const r = await runCli(args);
  expect(r.code, describeResult(args, r)).toBe(0);
});
afterAll(() => tmp.cleanup());

describe('report.html in Chromium', () => {
  it('renders every chart with axes and marks, the heatmap and the mistakes, without console errors', async () => {
    const { context, close } = await launchChromium();
    try {
      const page = await context.newPage();
      const problems = collectPageProblems(page);
      // Offline: any request beyond the file itself is a failure of self-containment.
      const requests: string[] = [];
      page.on('request', (r) => requests.push(r.url()));
      const url = pathToFileURL(join(runDir, 'report.html')).href;
      await page.goto(url);

      const charts = await page.$$eval('figure.chart', (figs) =>
        figs.map((f) => {
          const svg = f.querySelector('svg');
          const box = svg?.getBoundingClientRect();
          return {
            id: f.id,
            width: box?.width ?? 0,
            height: box?.height ?? 0,
            axes: f.querySelectorAll('.role-axis').length,
            marks: f.querySelectorAll('.role-mark path, .role-mark rect, .role-mark text').length,
          };
        }),
      );
      expect(charts.map((c) => c.id).sort()).toEqual(
        [
          'confusion',
          'digit-accuracy',
          'digit-error',
          'final-test-error',
          'learning-rate',
          'loss',
          'mean-error-accuracy',
          'top1',
        ].sort(),
      );
      for (const c of charts) {
        expect(c.width, c.id).toBeGreaterThan(100);
        expect(c.height, c.id).toBeGreaterThan(100);
        expect(c.axes, c.id).toBeGreaterThanOrEqual(2);
        expect(c.marks, c.id).toBeGreaterThan(0);
      }
      // The heatmap: 100 cells, their counts summing to the test set.
      const cells = await page.$$eval('#confusion .role-mark text', (ts) =>
        ts.map((t) => Number(t.textContent)),
      );
      expect(cells).toHaveLength(100);
      expect(cells.reduce((s, c) => s + c, 0)).toBe(300);
      // The mistakes: decoded images with their labels, most confident first.
      const mistakes = await page.$$eval('#mistakes g.mistake', (gs) =>
        gs.map((g) => ({
          label: g.querySelector('text')?.textContent ?? '',
          p: Number(g.querySelectorAll('text')[1]?.textContent?.replace('p ', '')),
          width: g.querySelector('image')?.getBoundingClientRect().width ?? 0,
        })),
      );
      expect(mistakes.length).toBeGreaterThan(0);
      for (const m of mistakes) {
        expect(m.label).toMatch(/^\d → \d$/);
        expect(m.width).toBeGreaterThan(20);
      }
      const ps = mistakes.map((m) => m.p);
      expect(ps).toEqual([...ps].sort((a, b) => b - a));

      expect(problems).toEqual([]);
      expect(requests.filter((r) => r !== url && !r.startsWith('data:'))).toEqual([]);
      mkdirSync(SCREENSHOTS, { recursive: true });
      await page.screenshot({ path: join(SCREENSHOTS, 'report.png'), fullPage: true });
    } finally {
      await close();
    }
  });
});
