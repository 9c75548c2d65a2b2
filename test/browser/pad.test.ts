import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeResult, type RunningCli, runCli, startCli, tempDir } from '../helpers/run-cli.js';
import { collectPageProblems, launchChromium, SCREENSHOTS } from './chromium.js';

// A small model trained here (about 90 % top-1 on the test set): enough for a clear "1" and "0".
const TRAIN = ['--epochs', '2', '--train-size', '6000', '--test-size', '500', '--lr', '0.1'];

let tmp: ReturnType<typeof tempDir>;
let server: RunningCli;
let url: string;
beforeAll(async () => {
  tmp = tempDir();
  const runDir = join(tmp.dir, 'run');
  const args = ['train', ...TRAIN, '--out', runDir, '--no-report'];
  const r = await runCli(args);
  expect(r.code, describeResult(args, r)).toBe(0);
  server = startCli(['serve', '--params', join(runDir, 'checkpoint.safetensors'), '--port', '0']);
  await server.waitForStderr(/page script: /);
  const first = server.stdout().split('\n')[0]!;
  expect(first).toMatch(/^serving http:\/\/127\.0\.0\.1:\d+\/$/);
  url = first.replace('serving ', '');
});
afterAll(async () => {
  server?.interrupt();
  await server?.done;
  tmp?.cleanup();
});

/** Draws a polyline on the pad with the mouse, in pad pixels (280 × 280). */
const stroke = async (page: Page, points: [number, number][]) => {
  const box = (await page.getByTestId('pad').boundingBox())!;
  const [x0, y0] = points[0]!;
  await page.mouse.move(box.x + x0, box.y + y0);
  await page.mouse.down();
  for (const [x, y] of points.slice(1)) await page.mouse.move(box.x + x, box.y + y, { steps: 4 });
  await page.mouse.up();
};

const probabilities = async (page: Page): Promise<number[]> =>
  Promise.all(
    Array.from({ length: 10 }, async (_, k) =>
      Number(await page.getByTestId(`prob-${k}`).textContent()),
    ),
  );

const ellipse = (cx: number, cy: number, rx: number, ry: number): [number, number][] =>
  Array.from({ length: 41 }, (_, i) => {
    const a = (2 * Math.PI * i) / 40;
    return [cx + rx * Math.sin(a), cy - ry * Math.cos(a)];
  });

describe('the digit pad in Chromium', () => {
  it('predicts a drawn 1 and a drawn 0, and clear resets the probabilities', async () => {
    const { context, close } = await launchChromium();
    try {
      const page = await context.newPage();
      const problems = collectPageProblems(page);
      await page.goto(url);
      await page.waitForSelector('[data-testid="status"][data-state="ready"]');

      await stroke(page, [
        [140, 50],
        [140, 230],
      ]);
      await expect.poll(() => page.getByTestId('prediction').textContent()).toBe('1');
      const one = await probabilities(page);
      for (const p of one) expect(p).toBeGreaterThanOrEqual(0);
      expect(one.reduce((s, p) => s + p, 0)).toBeCloseTo(1, 2);
      expect(Math.max(...one)).toBe(one[1]);
      mkdirSync(SCREENSHOTS, { recursive: true });
      await page.screenshot({ path: join(SCREENSHOTS, 'pad-1.png') });

      await page.getByTestId('clear').click();
      expect(await probabilities(page)).toEqual(new Array(10).fill(0));
      expect(await page.getByTestId('prediction').textContent()).toBe('–');

      await stroke(page, ellipse(140, 140, 60, 90));
      await expect.poll(() => page.getByTestId('prediction').textContent()).toBe('0');
      const zero = await probabilities(page);
      expect(Math.max(...zero)).toBe(zero[0]);
      await page.screenshot({ path: join(SCREENSHOTS, 'pad-0.png') });
      expect(problems).toEqual([]);
    } finally {
      await close();
    }
  });
});
