/**
 * The CLI's reliability cases end to end: a diverging run stops at its step naming op and layer
 * (also with `--check-finite`), `--out ''` is refused before the data loads, a locked run folder
 * refuses a second training, `--resume --epochs N` extends a run to what an N-epoch run gives, bit
 * for bit, a model trained on another image size evaluates and predicts, and eval and predict
 * refuse a checkpoint with a NaN parameter.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { treeFlatten, treeUnflatten } from '@difftape/core';
import { loadCheckpoint, saveCheckpoint } from '@difftape/nn/node';
import { afterAll, describe, expect, test } from 'vitest';
import { encodeDigitPng } from '../packages/mnist/src/digit-png.js';
import { tinyIdxFiles, writeIdxDir } from './helpers/bad-data.js';
import { describeResult, runCli, tempDir } from './helpers/run-cli.js';

const TIMEOUT = 120_000;
const SMALL = ['--train-size', '100', '--test-size', '20', '--batch-size', '20', '--no-report'];
const tmp = tempDir();
afterAll(() => tmp.cleanup());
const dir = (name: string) => join(tmp.dir, name);

describe('reliability', () => {
  test(
    'a non-finite step stops the run there, names the step, op and layer, keeps the checkpoint',
    async () => {
      const args = ['train', ...SMALL, '--epochs', '2', '--lr', '1e300', '--out', dir('nan')];
      const r = await runCli(args, { timeoutMs: TIMEOUT });
      expect(r.code, describeResult(args, r)).toBe(1);
      const last = r.stderr.trim().split('\n').at(-1)!;
      expect(last).toMatch(
        /^error: step \d+ \(epoch 1\): 'dense' in layer \d \(Dense\(\d+\)\) produced (NaN|-?Infinity); the last good checkpoint is kept in .*checkpoint\.safetensors$/,
      );
      expect(r.stderr).not.toMatch(/^\s+at /m);
      // The epoch-0 checkpoint is intact and evaluates.
      const e = await runCli(['eval', '--params', join(dir('nan'), 'checkpoint.safetensors')], {
        timeoutMs: TIMEOUT,
      });
      expect(e.code, describeResult(['eval'], e)).toBe(0);
    },
    TIMEOUT,
  );

  test(
    '--check-finite checks every op of every step: the diverging run stops naming op and layer',
    async () => {
      const args = ['train', ...SMALL, '--epochs', '2', '--lr', '1e300', '--check-finite'];
      const r = await runCli([...args, '--out', dir('nan-checked')], { timeoutMs: TIMEOUT });
      expect(r.code, describeResult(args, r)).toBe(1);
      expect(r.stderr.trim().split('\n').at(-1)).toMatch(
        /^error: step \d+ \(epoch 1\): '\w+' in layer \d \([A-Za-z]+\(\d+\)\) produced (NaN|-?Infinity)( in the backward pass)?; the last good checkpoint is kept in .*checkpoint\.safetensors$/,
      );
      expect(r.stderr).not.toMatch(/^\s+at /m);
    },
    TIMEOUT,
  );

  test(
    "--out '' is refused before the data is read (a missing --data folder is not reached)",
    async () => {
      const args = ['train', '--out', '', '--data', '/nonexistent-difftape-data'];
      const r = await runCli(args, { timeoutMs: TIMEOUT });
      expect(r.code, describeResult(args, r)).toBe(2);
      expect(r.stderr.trim()).toBe('error: --out: expected a folder name, got an empty string');
    },
    TIMEOUT,
  );

  test(
    'a run folder held by a live process refuses a second training, naming the pid',
    async () => {
      const run = ['train', ...SMALL, '--epochs', '1', '--out', dir('locked')];
      expect((await runCli(run, { timeoutMs: TIMEOUT })).code).toBe(0);
      // This test process stands in for a training that still runs.
      writeFileSync(join(dir('locked'), 'train.lock'), `${process.pid}\n`);
      const args = ['train', '--resume', dir('locked'), '--epochs', '2'];
      const r = await runCli(args, { timeoutMs: TIMEOUT });
      expect(r.code, describeResult(args, r)).toBe(2);
      expect(r.stderr).toContain(`is in use: process ${process.pid} is training into it`);
      expect(readFileSync(join(dir('locked'), 'config.json'), 'utf8')).toContain('"epochs": 1');
    },
    TIMEOUT,
  );

  test(
    '--resume --epochs N extends a finished run to what an N-epoch run gives, bit for bit',
    async () => {
      const [short, long] = await Promise.all([
        runCli(['train', ...SMALL, '--epochs', '1', '--out', dir('short')], { timeoutMs: TIMEOUT }),
        runCli(['train', ...SMALL, '--epochs', '2', '--out', dir('long')], { timeoutMs: TIMEOUT }),
      ]);
      expect(short.code).toBe(0);
      expect(long.code).toBe(0);
      const args = ['train', '--resume', dir('short'), '--epochs', '2', '--no-report'];
      const r = await runCli(args, { timeoutMs: TIMEOUT });
      expect(r.code, describeResult(args, r)).toBe(0);
      const bytes = (d: string) => readFileSync(join(d, 'checkpoint.safetensors'));
      expect(bytes(dir('short')).equals(bytes(dir('long')))).toBe(true);
      const epochs = (d: string) =>
        readFileSync(join(d, 'metrics.jsonl'), 'utf8')
          .trim()
          .split('\n')
          .map((l) => (JSON.parse(l) as { epoch: number }).epoch);
      expect(epochs(dir('short'))).toEqual([0, 1, 2]);
      const shrink = await runCli(['train', '--resume', dir('short'), '--epochs', '1'], {
        timeoutMs: TIMEOUT,
      });
      expect(shrink.stderr).toContain('has already trained 2 epochs');
    },
    TIMEOUT,
  );

  test(
    'a model trained on 14 x 14 images evaluates and predicts on 14 x 14 data (the input width comes from the checkpoint)',
    async () => {
      const data = dir('side14');
      writeIdxDir(data, tinyIdxFiles(40, 14));
      const sizes = ['--train-size', '40', '--test-size', '40', '--batch-size', '10'];
      const train = [
        'train',
        '--data',
        data,
        ...sizes,
        '--epochs',
        '1',
        '--no-report',
        '--out',
        dir('run14'),
      ];
      const t = await runCli(train, { timeoutMs: TIMEOUT });
      expect(t.code, describeResult(train, t)).toBe(0);
      const params = join(dir('run14'), 'checkpoint.safetensors');
      const evalArgs = ['eval', '--params', params, '--data', data, '--json'];
      const e = await runCli(evalArgs, { timeoutMs: TIMEOUT });
      expect(e.code, describeResult(evalArgs, e)).toBe(0);
      const metrics = JSON.parse(e.stdout) as { test: { top1: number; oneVsRestError: number[] } };
      expect(metrics.test.oneVsRestError).toHaveLength(10);
      expect(metrics.test.top1).toBeGreaterThanOrEqual(0);
      // The same numbers as the run's own last epoch: the checkpoint evaluates as it trained.
      const last = readFileSync(join(dir('run14'), 'metrics.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .at(-1)!;
      expect((JSON.parse(last) as { test: unknown }).test).toEqual(metrics.test);
      const png = join(dir('side14'), 'digit.png');
      writeFileSync(png, encodeDigitPng(new Uint8Array(196).fill(200), { rows: 14, cols: 14 }));
      const predict = ['predict', '--params', params, png, '--json'];
      const p = await runCli(predict, { timeoutMs: TIMEOUT });
      expect(p.code, describeResult(predict, p)).toBe(0);
      const [result] = JSON.parse(p.stdout) as { digit: number; probabilities: number[] }[];
      expect(result!.probabilities).toHaveLength(10);
      expect(result!.digit).toBe(result!.probabilities.indexOf(Math.max(...result!.probabilities)));
      // A 28 x 28 PNG does not fit this model: refused, naming the file and both sizes.
      const big = join(dir('side14'), 'digit28.png');
      writeFileSync(big, encodeDigitPng(new Uint8Array(784)));
      const wrong = await runCli(['predict', '--params', params, big], { timeoutMs: TIMEOUT });
      expect(wrong.code).toBe(1);
      expect(wrong.stderr.trim()).toBe(
        `error: ${big}: expected a 14x14 image (width x height), found 28x28`,
      );
    },
    TIMEOUT,
  );

  test(
    'eval and predict refuse a checkpoint holding a NaN parameter, naming the tensor and index',
    async () => {
      const train = ['train', ...SMALL, '--epochs', '1', '--out', dir('finite')];
      const t = await runCli(train, { timeoutMs: TIMEOUT });
      expect(t.code, describeResult(train, t)).toBe(0);
      // The run's checkpoint with one weight made NaN, saved (and hashed) as a valid file.
      const good = loadCheckpoint(join(dir('finite'), 'checkpoint.safetensors'));
      const { leaves } = treeFlatten(good.params);
      const W = leaves[0]!.clone();
      W.set(0, 1, Number.NaN);
      const bad = join(dir('finite'), 'nan.safetensors');
      saveCheckpoint(bad, { ...good, params: treeUnflatten(good.params, [W, ...leaves.slice(1)]) });
      const png = join(dir('finite'), 'digit.png');
      writeFileSync(png, encodeDigitPng(new Uint8Array(784).fill(200)));
      for (const args of [
        ['eval', '--params', bad],
        ['predict', '--params', bad, png, '--json'],
      ]) {
        const r = await runCli(args, { timeoutMs: TIMEOUT });
        // 2: a user error in --params, named as such
        expect(r.code, describeResult(args, r)).toBe(2);
        expect(r.stdout).toBe('');
        expect(r.stderr).toMatch(
          /^error: --params: checkpoint: .*nan\.safetensors: parameter params\.0\.W \(tensor "params\/0\.W"\)/,
        );
        expect(r.stderr).toContain('holds NaN at index 1 (row 0, column 1)');
        expect(r.stderr).not.toMatch(/^\s+at /m);
      }
    },
    TIMEOUT,
  );
});
