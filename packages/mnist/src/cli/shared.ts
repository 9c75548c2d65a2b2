import { existsSync, readFileSync } from 'node:fs';
import { key } from '@difftape/core';
import {
  checkParamShapes,
  decodeWith,
  type LoadedCheckpoint,
  modelFromSpec,
  type Params,
  parseModelSpec,
} from '@difftape/nn';
import { loadCheckpoint } from '@difftape/nn/node';
import { type Command, Option } from 'commander';
import { isLeft } from 'fp-ts/lib/Either.js';
import { optionalConfigFields, type TrainConfig, trainConfigFields } from '../config.js';
import { loadIdxDir, type Splits, subset } from '../data.js';
import { loadImageDir } from '../images.js';
import type { EpochRecord } from '../report/records.js';
import { formatReportTable } from '../report/table.js';

/** What the CLI's commands share: flag decoding, data and checkpoint loading, output. */

/** A mistake in how the command was called: printed as one line, exit code 2. */
export class UsageError extends Error {}

/** Stops the command with a usage error. */
export const fail = (message: string): never => {
  throw new UsageError(message);
};

/** Reads a flag's text as a number when it looks like one, so the codec's message shows what was given. */
export const numeric = (raw: string): number | string =>
  /^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i.test(raw.trim()) ? Number(raw) : raw;

/** The flag of a config field: `batchSize` → `--batch-size`. */
export const flagOf = (field: string): string =>
  `--${field.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;

/** Decodes each given flag with its config field's codec; every problem becomes one line naming the flag. */
export const decodeFlags = (flags: Record<string, unknown>, base: TrainConfig): TrainConfig => {
  const config: Record<string, unknown> = { ...base };
  const problems: string[] = [];
  for (const [field, codec] of Object.entries({ ...trainConfigFields, ...optionalConfigFields })) {
    const raw = flags[field];
    if (raw === undefined || field === 'model') continue;
    const decoded = decodeWith(
      codec as never,
      typeof raw === 'string' ? numeric(raw) : raw,
      flagOf(field),
    );
    if (isLeft(decoded)) problems.push(decoded.left);
    else config[field] = decoded.right;
  }
  if (typeof flags.model === 'string') config.model = readModelSpec(flags.model);
  if (problems.length) fail(problems.join('\n'));
  return config as unknown as TrainConfig;
};

/** A model spec from a JSON file, validated; errors name the flag, the file and the path inside it. */
export const readModelSpec = (path: string) => {
  if (!existsSync(path)) fail(`--model: no such file: ${path}`);
  const spec = parseModelSpec(readFileSync(path, 'utf8'));
  if (isLeft(spec)) fail(`--model: ${path}: ${spec.left.join('; ')}`);
  return (spec as { right: unknown }).right;
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

/** The first samples of each split, or a usage error naming the flag that asked for too many. */
export const withSizes = (data: Splits, trainSize: number, testSize: number): Splits => {
  if (trainSize > data.train.count)
    fail(`--train-size: ${trainSize} is more than the ${data.train.count} training samples`);
  if (testSize > data.test.count)
    fail(`--test-size: ${testSize} is more than the ${data.test.count} test samples`);
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

/** A checkpoint's model, checked against its parameters' shapes. */
export const loadModel = (path: string) => {
  if (!existsSync(path)) fail(`--params: no such file: ${path}`);
  let loaded: LoadedCheckpoint;
  try {
    loaded = loadCheckpoint(path);
  } catch (e) {
    return fail(`--params: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (!loaded.spec) fail(`--params: ${path} has no model spec in its manifest`);
  const model = modelFromSpec(loaded.spec);
  const [expected] = model.init(key(0), 784);
  checkParamShapes(loaded.params, expected, path);
  return { model, params: loaded.params as Params, meta: loaded.meta };
};
