import fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeCheckpoint, encodeCheckpoint, type LoadedCheckpoint } from '@difftape/nn';
import { afterAll, describe, expect, it } from 'vitest';
import {
  decodeTrainConfig,
  encodeTrainConfig,
  reportConfig,
  type TrainConfig,
} from '../src/run/config.js';

const encodeTrainConfigJson = () => JSON.parse(encodeTrainConfig(reportConfig));

import { makeDataset, type Splits } from '../src/data.js';
import { runFiles } from '../src/run/files.js';
import { loadStart, train } from '../src/train.js';

const root = fs.mkdtempSync(join(tmpdir(), 'difftape-resume-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

/** 40 training and 10 test 4 × 4 images with labels 0..9, made from their index. */
const tiny = (): Splits => {
  const set = (count: number, offset: number) =>
    makeDataset(
      Uint8Array.from({ length: count * 16 }, (_, i) => (i * 37 + offset) % 256),
      Uint8Array.from({ length: count }, (_, i) => i % 10),
      4,
      4,
      'tiny',
    );
  return { train: set(40, 0), test: set(10, 5) };
};

const config: TrainConfig = decodeTrainConfig(
  {
    ...encodeTrainConfigJson(),
    epochs: 2,
    batchSize: 10,
    trainSize: 40,
    testSize: 10,
    optimiser: 'adam',
    model: { layers: [{ dense: 5 }, 'relu', { dense: 10 }] },
  },
  'test config',
);

/** A finished 2-epoch run folder. */
const run = async (name: string): Promise<string> => {
  const dir = join(root, name);
  await train(config, tiny(), dir);
  return dir;
};

/** Rewrites the run's checkpoint with `edit` applied to what it holds (re-hashed, so it loads). */
const tamper = (dir: string, edit: (c: LoadedCheckpoint) => object): void => {
  const path = runFiles(dir).checkpoint;
  const loaded = decodeCheckpoint(fs.readFileSync(path));
  fs.writeFileSync(path, encodeCheckpoint(edit(loaded) as never));
};

const resumeError = async (dir: string): Promise<string> => {
  try {
    await train(config, tiny(), dir, {}, loadStart(dir));
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('expected the resume to fail');
};

describe('resume validates what the checkpoint says', () => {
  it('resumes a good checkpoint', async () => {
    const dir = await run('good');
    const start = loadStart(dir);
    expect(start.position).toEqual({ epoch: 2, stepInEpoch: 0 });
    expect(start.state.step).toBe(8);
    await expect(train(config, tiny(), dir, {}, start)).resolves.toMatchObject({
      interrupted: null,
    });
  });

  it('refuses counters that are not counts, in words', async () => {
    const dir = await run('nan-epoch');
    tamper(dir, (c) => ({ ...c, meta: { ...c.meta, epoch: 'NaN', step: -1 } }));
    const path = runFiles(dir).checkpoint;
    expect(() => loadStart(dir)).toThrow(
      `${path}: meta: epoch: expected a non-negative integer, got "NaN"\n` +
        `${path}: meta: step: expected a non-negative integer, got -1`,
    );
  });

  it('refuses counters that do not add up', async () => {
    const dir = await run('bad-step');
    tamper(dir, (c) => ({ ...c, meta: { ...c.meta, step: 5 } }));
    expect(await resumeError(dir)).toBe(
      `checkpoint: ${runFiles(dir).checkpoint}: says it stopped 0 steps into epoch 3 after 5 steps in all, which does not add up with 4 steps per epoch`,
    );
  });

  it('refuses an optimiser state of another optimiser (not a treeZip message)', async () => {
    const dir = await run('bad-state');
    tamper(dir, (c) => ({ ...c, optimiserState: [{ count: 'x' }] }));
    expect(await resumeError(dir)).toMatch(
      new RegExp(
        `^checkpoint: ${runFiles(dir).checkpoint}: its optimiser state does not fit the run's optimiser: `,
      ),
    );
  });
});
