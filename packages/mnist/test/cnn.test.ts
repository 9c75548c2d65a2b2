import fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { toFlat, treeFlatten } from '@difftape/core';
import { loadCheckpoint } from '@difftape/nn/node';
import { afterAll, describe, expect, it } from 'vitest';
import { loadModel } from '../src/cli/shared.js';
import { loadIdxDir, type Splits, subset } from '../src/data.js';
import { analyseCheckpoint } from '../src/report/analysis.js';
import { decodeTrainConfig, encodeTrainConfig, reportConfig } from '../src/run/config.js';
import { runFiles } from '../src/run/files.js';
import { loadStart, train } from '../src/train.js';

const root = fs.mkdtempSync(join(tmpdir(), 'difftape-cnn-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

const shipped = JSON.parse(
  fs.readFileSync(new URL('../models/cnn.json', import.meta.url), 'utf8'),
) as { input?: unknown; layers: unknown[] };
const mnist = loadIdxDir();
const data = (trainSize: number, testSize: number): Splits => ({
  train: subset(mnist.train, trainSize),
  test: subset(mnist.test, testSize),
});

const configOf = (fields: Record<string, unknown>) =>
  decodeTrainConfig({ ...JSON.parse(encodeTrainConfig(reportConfig)), ...fields }, 'test config');

describe('the shipped LeNet-style CNN (packages/mnist/models/cnn.json)', () => {
  it('learns: two epochs on 1 000 images (batches of 20) reach 80 % on 300 test images', async () => {
    const config = configOf({
      model: shipped,
      epochs: 2,
      batchSize: 20,
      trainSize: 1000,
      testSize: 300,
      optimiser: 'adam',
      lr: 0.002,
      lambda: 0,
    });
    const { records } = await train(config, data(1000, 300), join(root, 'learns'));
    expect(records.at(0)!.test.top1).toBeLessThan(0.3);
    expect(records.at(-1)!.test.top1).toBeGreaterThanOrEqual(0.8);
  }, 120_000);
});

describe('a CNN with dropout and without an "input" shape in its spec', () => {
  const spec = {
    layers: [
      { conv2d: { filters: 3, kernel: 5, stride: 2 } },
      'relu',
      { maxPool2d: 2 },
      'flatten',
      { dropout: 0.3 },
      { dense: 10 },
    ],
  };
  const config = (epochs: number) =>
    configOf({ model: spec, epochs, batchSize: 20, trainSize: 100, testSize: 40, lambda: 0 });

  it('resumes bit for bit after a stop in the middle of an epoch (dropout masks included)', async () => {
    const whole = join(root, 'whole');
    await train(config(2), data(100, 40), whole);
    const stopped = join(root, 'stopped');
    let steps = 0;
    const first = await train(config(2), data(100, 40), stopped, {
      onStep: () => {
        steps++;
      },
      shouldStop: () => steps === 7,
    });
    expect(first.interrupted).toEqual({ epoch: 1, stepInEpoch: 2 });
    await train(config(2), data(100, 40), stopped, {}, loadStart(stopped));
    const leaves = (dir: string) =>
      treeFlatten(loadCheckpoint(runFiles(dir).checkpoint).params).leaves.map((m) =>
        Array.from(toFlat(m)),
      );
    expect(leaves(stopped)).toEqual(leaves(whole));
  }, 60_000);

  it("stores the data's image shape in its checkpoint, so eval, predict and the report load it", async () => {
    const dir = join(root, 'stored');
    await train(config(1), data(100, 40), dir);
    const path = runFiles(dir).checkpoint;
    expect(loadCheckpoint(path).spec).toEqual({ ...spec, input: [1, 28, 28] });
    expect(JSON.parse(fs.readFileSync(runFiles(dir).config, 'utf8')).model).toEqual(spec);
    expect(loadModel(path).inputs).toBe(784);
    expect(analyseCheckpoint(path, subset(mnist.test, 40)).count).toBe(40);
  }, 60_000);
});
