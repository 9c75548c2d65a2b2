import { existsSync } from 'node:fs';
import { checkParamShapes, key, type Matrix, type Tree, treeFlatten } from '@difftape/core';
import { type LoadedCheckpoint, modelFromSpec, sizeOf } from '@difftape/nn';
import { loadCheckpoint } from '@difftape/nn/node';
import { type Command, Option } from 'commander';
import { loadIdxDir, type Splits, subset } from '../data.js';
import { loadImageDir } from '../images.js';
import { formatReportTable } from '../report/table.js';
import { type CheckpointMeta, decodeCheckpointMeta } from '../run/meta.js';
import type { EpochRecord } from '../run/metrics.js';

/** What the CLI's commands share: flag decoding, data and checkpoint loading, output. */

/** A mistake in how the command was called: printed as one line, exit code 2. */
export class UsageError extends Error {}

/** Stops the command with a usage error. */
export const fail = (message: string): never => {
  throw new UsageError(message);
};

/** Where the data comes from. */
export interface DataFlags {
  data?: string;
  format: 'idx' | 'images';
}

/** The bundled IDX files, an IDX folder, or the report's PNG folders. */
export const loadData = async ({ data, format }: DataFlags): Promise<Splits> => {
  if (data !== undefined && !existsSync(data)) fail(`--data: no such directory: ${data}`);
  if (format === 'images') {
    if (data === undefined)
      fail('--format images needs --data <dir> (see `pnpm mnist export-images --help`)');
    return loadImageDir(data!);
  }
  return loadIdxDir(data);
};

/** Where each split's size came from, for messages: a flag, or e.g. a checkpoint's config. */
export interface SizeSources {
  readonly train: string;
  readonly test: string;
}

const FLAG_SOURCES: SizeSources = { train: '--train-size', test: '--test-size' };

/**
 * The first samples of each split, or a usage error naming where the size that asks for too many
 * came from (by default the flags).
 */
export const withSizes = (
  data: Splits,
  trainSize: number,
  testSize: number,
  from: SizeSources = FLAG_SOURCES,
): Splits => {
  if (trainSize > data.train.count)
    fail(`${from.train}: ${trainSize} is more than the ${data.train.count} training samples`);
  if (testSize > data.test.count)
    fail(`${from.test}: ${testSize} is more than the ${data.test.count} test samples`);
  return { train: subset(data.train, trainSize), test: subset(data.test, testSize) };
};

/** A file-name-safe UTC timestamp for default run folders. */
export const timestamp = (): string =>
  new Date()
    .toISOString()
    .replace(/[:.]/g, '-')
    .replace(/-\d{3}Z$/, 'Z');

/** Adds --data and --format to a command. */
export const dataOptions = (cmd: Command): Command =>
  cmd
    .option('--data <dir>', 'data folder (default: the bundled MNIST IDX files)')
    .addOption(
      new Option('--format <format>', "layout of --data: IDX gz files, or the report's PNG folders")
        .choices(['idx', 'images'])
        .default('idx'),
    );

/** The table, top-1 and where things are: what a person reads after a run or an eval. */
export const printTable = (record: EpochRecord): void => {
  process.stdout.write(`\n${formatReportTable(record)}\n`);
};

/** The `--json` output: both splits' metrics and extra fields. */
export const summary = (record: EpochRecord, extra: Record<string, unknown>) => ({
  train: record.train,
  test: record.test,
  ...extra,
});

/** The input width of a checkpoint's parameters: the rows of its first matrix (the first dense W). */
const inputWidth = (params: Tree): number | undefined => {
  const first: Matrix | undefined = treeFlatten(params).leaves[0];
  return first === undefined ? undefined : first.rows;
};

/**
 * A checkpoint's model, checked against its parameters' shapes, and its run meta when it is a
 * training run's (undefined for a bare library checkpoint). The input width comes from the
 * checkpoint itself, so a model trained on another image size loads too.
 */
export const loadModel = (path: string) => {
  if (!existsSync(path)) fail(`--params: no such file: ${path}`);
  let loaded: LoadedCheckpoint;
  try {
    loaded = loadCheckpoint(path);
  } catch (e) {
    return fail(`--params: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (!loaded.spec) fail(`--params: ${path} has no model spec in its checkpoint`);
  const model = modelFromSpec(loaded.spec!);
  const width = inputWidth(loaded.params);
  if (width === undefined) fail(`--params: ${path} holds no parameter matrices`);
  // A convolutional checkpoint's spec carries its image shape; a dense one's width is its first W's rows.
  const shape = loaded.spec!.input ?? [width!];
  const inputs = sizeOf(shape);
  let meta: CheckpointMeta | undefined;
  try {
    const [expected] = model.init(key(0), shape);
    checkParamShapes(loaded.params, expected, path);
    meta =
      Object.keys(loaded.meta).length === 0 ? undefined : decodeCheckpointMeta(loaded.meta, path);
  } catch (e) {
    return fail(`--params: ${e instanceof Error ? e.message : String(e)}`);
  }
  return { model, params: loaded.params, meta, inputs, spec: loaded.spec!, shape };
};
