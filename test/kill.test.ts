/**
 * Kill tests: small trainings SIGKILLed inside each file-system call of the config, metrics,
 * lock and checkpoint writes (before the call, or after writing half its data), and at a few
 * moments in between; each is then recovered the way a user would (`--resume` when config.json
 * is there, else the same command again) and must end bit-identical to an uninterrupted run:
 * the same checkpoint bytes and the same metrics.jsonl apart from wall-clock seconds.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  type CliResult,
  describeResult,
  REPO_ROOT,
  runCli,
  startCli,
  tempDir,
} from './helpers/run-cli.js';

const TIMEOUT = 400_000;
const PRELOAD = resolve(REPO_ROOT, 'test/helpers/kill-preload.mjs');
const TRAIN = [
  'train',
  '--train-size',
  '100',
  '--test-size',
  '20',
  '--batch-size',
  '20',
  '--epochs',
  '2',
  '--no-report',
];

const tmp = tempDir();
afterAll(() => tmp.cleanup());

/** metrics.jsonl without the wall-clock `seconds`: what must repeat bit for bit. */
const metricsOf = (runDir: string): unknown[] =>
  readFileSync(join(runDir, 'metrics.jsonl'), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => {
      const { seconds: _, ...rest } = JSON.parse(l) as { seconds: number };
      return rest;
    });

const checkpointOf = (runDir: string): Buffer =>
  readFileSync(join(runDir, 'checkpoint.safetensors'));

const withPreload = (runDir: string, killAt: string, countFile?: string) => ({
  env: {
    NODE_OPTIONS: `--import=${PRELOAD}`,
    KILL_DIR: runDir,
    KILL_AT: killAt,
    ...(countFile && { KILL_COUNT_FILE: countFile }),
  },
  timeoutMs: 120_000,
});

/** Recovers a killed run as a user would; a resume may find it already complete. */
const recover = async (runDir: string): Promise<CliResult> =>
  existsSync(join(runDir, 'config.json'))
    ? runCli(['train', '--resume', runDir, '--no-report'], { timeoutMs: 120_000 })
    : runCli([...TRAIN, '--out', runDir], { timeoutMs: 120_000 });

let points = 0;
let reference: { checkpoint: Buffer; metrics: unknown[] };

beforeAll(async () => {
  const runDir = join(tmp.dir, 'reference');
  const count = join(tmp.dir, 'count');
  const r = await runCli([...TRAIN, '--out', runDir], withPreload(runDir, '0', count));
  expect(r.code, describeResult(TRAIN, r)).toBe(0);
  points = Number(readFileSync(count, 'utf8'));
  reference = { checkpoint: checkpointOf(runDir), metrics: metricsOf(runDir) };
}, TIMEOUT);

/** SIGKILLs a process group; false when it had already exited. */
const killGroup = (pid: number): boolean => {
  try {
    process.kill(-pid, 'SIGKILL');
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw e;
  }
};

/** Runs `jobs` three at a time. */
const pool = async <T>(jobs: (() => Promise<T>)[]): Promise<T[]> => {
  const results: T[] = [];
  const queue = jobs.map((job, i) => ({ job, i }));
  const worker = async () => {
    for (let next = queue.shift(); next; next = queue.shift()) results[next.i] = await next.job();
  };
  await Promise.all([worker(), worker(), worker()]);
  return results;
};

describe('SIGKILL at any moment, then resume', () => {
  test(
    'every kill point inside the run-folder writes ends bit-identical to an uninterrupted run',
    async () => {
      expect(points).toBeGreaterThan(20);
      // Every call killed before it runs; every fourth one also torn halfway through its data.
      const kills = [
        ...Array.from({ length: points }, (_, i) => `${i + 1}`),
        ...Array.from({ length: points }, (_, i) => i + 1)
          .filter((k) => k % 4 === 0)
          .map((k) => `${k}:torn`),
      ];
      const problems = await pool(
        kills.map((killAt) => async () => {
          const runDir = join(tmp.dir, `kill-${killAt.replace(':', '-')}`);
          const killed = await runCli([...TRAIN, '--out', runDir], withPreload(runDir, killAt));
          if (killed.signal !== 'SIGKILL') return `${killAt}: not killed (code ${killed.code})`;
          const r = await recover(runDir);
          if (r.code !== 0) return `${killAt}: recovery failed\n${describeResult([], r)}`;
          if (!checkpointOf(runDir).equals(reference.checkpoint))
            return `${killAt}: checkpoint bytes differ`;
          const metrics = metricsOf(runDir);
          if (JSON.stringify(metrics) !== JSON.stringify(reference.metrics))
            return `${killAt}: metrics differ (${metrics.length} records, expected ${reference.metrics.length})`;
          return undefined;
        }),
      );
      const failed = problems.filter((p) => p !== undefined);
      expect(failed, failed.join('\n')).toEqual([]);
      expect(kills.length).toBeGreaterThanOrEqual(20);
    },
    TIMEOUT,
  );

  test(
    'kills at moments between the writes (after the first epoch line) resume bit-identically',
    async () => {
      const delays = [0, 50, 150, 400];
      let killedCount = 0;
      const problems = await pool(
        delays.map((delay) => async () => {
          const runDir = join(tmp.dir, `moment-${delay}`);
          const child = startCli([...TRAIN, '--out', runDir], { timeoutMs: 120_000 });
          await child.waitForStderr(/epoch 0\//);
          await new Promise((r) => setTimeout(r, delay));
          // On a fast machine the run may have finished within the delay: then there is
          // nothing to kill (ESRCH), and the resume below must find the run complete.
          if (killGroup(child.child.pid!)) killedCount += 1;
          await child.done;
          const r = await recover(runDir);
          if (r.code !== 0) return `${delay} ms: recovery failed\n${describeResult([], r)}`;
          if (!checkpointOf(runDir).equals(reference.checkpoint))
            return `${delay} ms: checkpoint differs`;
          if (JSON.stringify(metricsOf(runDir)) !== JSON.stringify(reference.metrics))
            return `${delay} ms: metrics differ`;
          return undefined;
        }),
      );
      const failed = problems.filter((p) => p !== undefined);
      expect(failed, failed.join('\n')).toEqual([]);
      expect(
        killedCount,
        'at least the kill right after the first epoch line lands',
      ).toBeGreaterThan(0);
    },
    TIMEOUT,
  );
});
