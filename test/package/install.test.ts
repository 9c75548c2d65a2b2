import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleForBrowser, runInChromium } from './browser.js';
import { installAsUser, REPO_ROOT, run, type UserProject } from './install.js';

/** fast-check as the root pins it: the typed consumer uses `@difftape/core/testing`. */
const fastCheck = (
  JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as {
    devDependencies: Record<string, string>;
  }
).devDependencies['fast-check']!;

let project: UserProject;

/** What consumer/train.mjs prints. */
interface NodeRun {
  readonly losses: number[];
  readonly identical: boolean;
  readonly checkpoint: string;
  readonly predictions: number[];
}
const trainInNode = (): NodeRun => JSON.parse(run('node', ['train.mjs'], project.dir)) as NodeRun;

/** The largest |a − b| over two equally long arrays. */
const maxAbsDiff = (a: readonly number[], b: readonly number[]): number => {
  expect(a.length).toBe(b.length);
  return a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]!)), 0);
};

beforeAll(() => {
  project = installAsUser({ 'fast-check': fastCheck });
  for (const t of project.tarballs)
    console.log(`tarball ${t.name}: ${(t.bytes / 1024).toFixed(1)} KiB`);
}, 600_000);

afterAll(() => project?.cleanup());

describe('the packed packages, installed by npm outside the workspace', () => {
  it('tarballs hold dist, README, LICENSE and package.json only (and mnist its data)', () => {
    for (const t of project.tarballs) {
      const files = run('tar', ['tzf', t.path], REPO_ROOT).trim().split('\n');
      const stray = files.filter(
        (f) =>
          !/^package\/(dist\/.+\.(js|d\.ts|js\.map)|README\.md|LICENSE|package\.json|data\/.+)$/.test(
            f,
          ),
      );
      expect(stray, t.name).toEqual([]);
      expect(
        files.some((f) => f.startsWith('package/data/')),
        t.name,
      ).toBe(t.name.includes('mnist'));
      const manifest = run('tar', ['xzf', t.path, '-O', 'package/package.json'], REPO_ROOT);
      expect(manifest, t.name).not.toContain('workspace:');
    }
  });

  it('a plain node ESM script trains with adam, saves and reloads a checkpoint, same predictions', () => {
    const out = trainInNode();
    expect(out.identical).toBe(true);
    expect(out.losses.at(-1)).toBeLessThan(out.losses[0]! * 0.8);
  });

  it('a strict TypeScript consumer type-checks against the shipped .d.ts', () => {
    run(join(REPO_ROOT, 'node_modules/.bin/tsc'), ['-p', 'tsconfig.json'], project.dir);
  });

  it('the CLI runs from the installed bin', () => {
    expect(run('npx', ['--no-install', 'difftape-mnist', '--version'], project.dir).trim()).toBe(
      '0.1.0',
    );
  });

  it('the installed CLI evaluates on worker threads (dist/eval-worker.js) with the main thread’s bits', () => {
    const metrics = (workers: number) => {
      const out = join(project.dir, `run-eval-workers-${workers}`);
      const args = ['--epochs', '1', '--train-size', '1000', '--test-size', '500', '--no-report'];
      run(
        'env',
        [
          `DIFFTAPE_EVAL_WORKERS=${workers}`,
          'npx',
          '--no-install',
          'difftape-mnist',
          'train',
          ...args,
          '--out',
          out,
        ],
        project.dir,
      );
      // every line of metrics.jsonl but its timing
      return readFileSync(join(out, 'metrics.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .map((line) => ({ ...JSON.parse(line), seconds: undefined }));
    };
    const main = metrics(0);
    expect(main).toHaveLength(2);
    expect(metrics(2)).toEqual(main);
  });

  it('core + nn bundle for the browser and train and decode a fetched checkpoint in Chromium', async () => {
    const bundle = await bundleForBrowser(project.dir, './browser.mjs');
    console.log(
      `browser bundle (core + nn): ${(bundle.minBytes / 1024).toFixed(1)} KiB min, ${(bundle.gzipBytes / 1024).toFixed(1)} KiB min+gzip`,
    );
    const node = trainInNode();
    const steps = 5;
    const page = await runInChromium<{ losses: number[]; spec: unknown; predictions: number[] }>(
      bundle.code,
      { '/model.safetensors': new Uint8Array(Buffer.from(node.checkpoint, 'base64')) },
      `runDifftape(${steps}, '/model.safetensors')`,
    );
    // The same seeded training in the page as in node, and the node-trained checkpoint's predictions.
    expect(page.losses).toHaveLength(steps);
    expect(page.losses.at(-1)).toBeLessThan(page.losses[0]!);
    expect(maxAbsDiff(page.losses, node.losses.slice(0, steps))).toBeLessThanOrEqual(1e-12);
    expect(page.spec).toEqual({ layers: [{ dense: 16 }, 'relu', { dense: 3 }] });
    expect(maxAbsDiff(page.predictions, node.predictions)).toBeLessThanOrEqual(1e-12);
  });
});
