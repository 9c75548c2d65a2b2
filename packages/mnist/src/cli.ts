#!/usr/bin/env node
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { Matrix, rawOf, softmax } from '@difftape/core';
import { Command, CommanderError, Option } from 'commander';
import {
  dataOptions,
  decodeFlags,
  fail,
  loadData,
  loadModel,
  numeric,
  printTable,
  summary,
  timestamp,
  UsageError,
  withSizes,
} from './cli/shared.js';
import {
  decodeTrainConfig,
  OPTIMISERS,
  reportConfig,
  SCHEDULES,
  type TrainConfig,
} from './config.js';
import { loadIdxDir } from './data.js';
import { evaluate, splitMetrics } from './evaluate.js';
import { decodeDigitPng, exportImages } from './images.js';
import { epochLine, progressHooks } from './progress.js';
import { type EpochRecord, readMetricsJsonl } from './report/records.js';
import { writeReport } from './report/report.js';
import { loadStart, runFiles, train } from './train.js';

const program = new Command()
  .name('pnpm mnist')
  .description(
    "The report's MNIST task on difftape: train the 784-100-100-10 MLP, evaluate, predict, report.",
  )
  .version('0.1.0')
  .showHelpAfterError('(add --help for usage)')
  .exitOverride();

dataOptions(
  program
    .command('train')
    .description(
      "Train a model (default: the report's recipe) and print the report's per-digit table.\n" +
        'Writes config.json, metrics.jsonl (one line per epoch), checkpoint.safetensors/.json and report.{md,html} with plots into the run folder.\n' +
        'Ctrl-C stops after the current step and saves a checkpoint; --resume continues bit for bit.',
    )
    .option('--epochs <n>', 'passes over the training set', String(reportConfig.epochs))
    .option(
      '--batch-size <n>',
      'samples per step (the last partial batch is dropped)',
      String(reportConfig.batchSize),
    )
    .option('--lr <x>', 'learning rate η', String(reportConfig.lr))
    .option(
      '--lambda <x>',
      "weight λ of the L1 max-column regulariser (the report's code: 1e-4; its text: 1e-3; 0: off)",
      String(reportConfig.lambda),
    )
    .addOption(
      new Option('--optimiser <name>', 'update rule')
        .choices(OPTIMISERS)
        .default(reportConfig.optimiser),
    )
    .option('--weight-decay <x>', 'L2 weight decay on the weight matrices (not in the report)', '0')
    .option(
      '--shift <px>',
      'augment: translate each training image by up to px pixels (not in the report)',
      '0',
    )
    .option('--beta <x>', 'momentum coefficient for momentum/nesterov', String(reportConfig.beta))
    .addOption(
      new Option('--schedule <name>', 'learning-rate schedule')
        .choices(SCHEDULES)
        .default(reportConfig.schedule),
    )
    .option(
      '--seed <n>',
      'PRNG seed: fixes initialisation and shuffling, bit for bit',
      String(reportConfig.seed),
    )
    .option('--train-size <n>', 'use the first n training samples', String(reportConfig.trainSize))
    .option('--test-size <n>', 'use the first n test samples', String(reportConfig.testSize))
    .option(
      '--model <file>',
      'JSON model spec, e.g. {"layers": [{"dense": 100}, "relu", {"dense": 10}]} (default: the report\'s)',
    )
    .option('--out <dir>', 'run folder (default: runs/<timestamp>)')
    .option(
      '--resume <run-dir>',
      'continue a stopped run from its checkpoint (other training flags are ignored)',
    )
    .option('--no-report', 'skip writing report.md/report.html and plots at the end')
    .option('--json', 'print the final metrics as JSON on stdout'),
).action(async (flags) => {
  let config: TrainConfig;
  let runDir: string;
  let start: ReturnType<typeof loadStart> | undefined;
  if (flags.resume !== undefined) {
    runDir = flags.resume;
    if (!existsSync(runFiles(runDir).config))
      fail(`--resume: ${runDir} is not a run folder (no config.json)`);
    config = decodeTrainConfig(
      JSON.parse(readFileSync(runFiles(runDir).config, 'utf8')),
      `${runFiles(runDir).config}`,
    );
    start = loadStart(runDir);
  } else {
    config = decodeFlags(flags, reportConfig);
    runDir = flags.out ?? join('runs', timestamp());
    if (existsSync(runDir) && readdirSync(runDir).length > 0)
      fail(`--out: ${runDir} is not empty; pick another folder or --resume it`);
  }
  // Checked before anything is printed or written, so the message names the flag.
  const data = withSizes(await loadData(flags), config.trainSize, config.testSize);
  const progress = progressHooks(config.epochs);
  let stopping = false;
  const onSigint = () => {
    if (stopping) process.exit(130);
    stopping = true;
    progress.stop();
    process.stderr.write(
      '\nstopping after this step and saving a checkpoint (Ctrl-C again to quit at once)\n',
    );
  };
  process.on('SIGINT', onSigint);
  process.stderr.write(`run folder: ${runDir}\n`);
  if (start)
    process.stderr.write(
      `resuming after epoch ${start.position.epoch}, step ${start.position.stepInEpoch}\n`,
    );
  const result = await train(
    config,
    data,
    runDir,
    { ...progress, shouldStop: () => stopping },
    start,
  );
  process.off('SIGINT', onSigint);
  if (result.interrupted) {
    const { epoch, stepInEpoch } = result.interrupted;
    process.stderr.write(
      `stopped after epoch ${epoch}${stepInEpoch ? ` and ${stepInEpoch} steps` : ''}; checkpoint saved.\nresume with: pnpm mnist train --resume ${runDir}\n`,
    );
    process.exitCode = 130;
    return;
  }
  // A resumed run that had already finished trains nothing: its last record is on disk.
  const final = result.records.at(-1) ?? readMetricsJsonl(runFiles(runDir).metrics).records.at(-1)!;
  if (flags.report) {
    const { files, warnings } = await writeReport(runDir);
    for (const w of warnings) process.stderr.write(`warning: ${w}\n`);
    process.stderr.write(
      `report: ${files.filter((f) => f.endsWith('.html') || f.endsWith('.md')).join(', ')}\n`,
    );
  }
  if (flags.json) {
    process.stdout.write(
      `${JSON.stringify(summary(final, { params: result.checkpoint, runDir, epochs: config.epochs }))}\n`,
    );
  } else {
    printTable(final);
    process.stdout.write(`\nparameters: ${result.checkpoint}\n`);
  }
});

dataOptions(
  program
    .command('eval')
    .description(
      'Reload a checkpoint and print the same per-digit table as training did (on the same data sizes).',
    )
    .requiredOption(
      '--params <file>',
      "checkpoint.safetensors from a run folder (an older run's two-file .json manifest works too)",
    )
    .option('--train-size <n>', 'first n training samples (default: as trained)')
    .option('--test-size <n>', 'first n test samples (default: as trained)')
    .option('--json', 'print the metrics as JSON on stdout'),
).action(async (flags) => {
  const { model, params, meta } = loadModel(flags.params);
  const trained = (meta.config ?? {}) as Partial<TrainConfig>;
  const sizes = decodeFlags(
    {
      trainSize: flags.trainSize ?? trained.trainSize,
      testSize: flags.testSize ?? trained.testSize,
    },
    reportConfig,
  );
  const data = withSizes(await loadData(flags), sizes.trainSize, sizes.testSize);
  const record: EpochRecord = {
    epoch: typeof meta.epoch === 'number' ? meta.epoch : 0,
    seconds: 0,
    steps: typeof meta.step === 'number' ? meta.step : 0,
    train: splitMetrics(evaluate(model, params, data.train)),
    test: splitMetrics(evaluate(model, params, data.test)),
  };
  if (flags.json)
    process.stdout.write(`${JSON.stringify(summary(record, { params: flags.params }))}\n`);
  else {
    process.stderr.write(`${epochLine(record, record.epoch)}\n`);
    printTable(record);
  }
});

program
  .command('predict')
  .description(
    "Classify 28x28 PNG digit images (white on black, like MNIST) with a checkpoint's model.",
  )
  .requiredOption('--params <file>', 'checkpoint.safetensors from a run folder')
  .argument('<images...>', 'PNG files')
  .option('--json', 'print JSON on stdout')
  .action((images: string[], flags) => {
    const { model, params } = loadModel(flags.params);
    const results = images.map((file) => {
      if (!existsSync(file)) fail(`no such image: ${file}`);
      const pixels = decodeDigitPng(readFileSync(file), file);
      const x = rawOf(softmax(model.apply(params, pixelsRow(pixels)))) as Matrix;
      const probabilities = x.getRow(0);
      const digit = probabilities.indexOf(Math.max(...probabilities));
      return { file, digit, probabilities };
    });
    if (flags.json) {
      process.stdout.write(`${JSON.stringify(results)}\n`);
      return;
    }
    for (const r of results) {
      const probs = r.probabilities.map((p, k) => `${k}:${p.toFixed(3)}`).join(' ');
      process.stdout.write(
        `${r.file}: ${r.digit} (p = ${r.probabilities[r.digit]!.toFixed(4)})  ${probs}\n`,
      );
    }
  });

const pixelsRow = (pixels: Uint8Array): Matrix =>
  Matrix.from1DArray(
    1,
    pixels.length,
    Array.from(pixels, (p) => p / 255),
  );

program
  .command('report')
  .description(
    'Write report.md and report.html with plots (per-digit error and accuracy, loss, top-1) for a run folder, and print its table.',
  )
  .argument('<run-dir>', 'a run folder made by train')
  .action(async (runDir: string) => {
    if (!existsSync(join(runDir, 'metrics.jsonl')))
      fail(`${runDir} is not a run folder (no metrics.jsonl)`);
    const { files, warnings } = await writeReport(runDir);
    for (const w of warnings) process.stderr.write(`warning: ${w}\n`);
    printTable(readMetricsJsonl(runFiles(runDir).metrics).records.at(-1)!);
    process.stdout.write(`\nwrote ${files.map((f) => relative('.', f)).join(', ')}\n`);
  });

program
  .command('export-images')
  .description(
    "Write the bundled MNIST in the report's layout: <dir>/train_data/*.png, test_data/*.png, labels/{train,test}_label.txt",
  )
  .argument('<dir>', 'target folder (must be empty unless --force)')
  .option('--limit <n>', 'at most n images per split')
  .option('--force', 'replace the images and labels in a non-empty folder')
  .action(async (dir: string, flags) => {
    let limit: number | undefined;
    if (flags.limit !== undefined) {
      const n = numeric(flags.limit);
      if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 1)
        fail(`--limit: expected a positive integer, got ${JSON.stringify(flags.limit)}`);
      limit = n as number;
    }
    if (existsSync(dir) && readdirSync(dir).length > 0 && !flags.force)
      fail(`${dir} is not empty; use --force to replace its images`);
    const counts = await exportImages(loadIdxDir(), dir, {
      ...(limit && { limit }),
      force: flags.force === true,
    });
    process.stdout.write(
      `wrote ${counts.train} training and ${counts.test} test images with their labels to ${dir}\n`,
    );
  });

const main = async (): Promise<void> => {
  try {
    await program.parseAsync(process.argv);
  } catch (e) {
    if (e instanceof CommanderError) {
      process.exitCode = e.exitCode === 0 ? 0 : 2;
      return;
    }
    const message = e instanceof Error ? e.message : String(e);
    process.stderr.write(`error: ${message}\n`);
    if (process.env.DIFFTAPE_DEBUG && e instanceof Error) process.stderr.write(`${e.stack}\n`);
    process.exitCode = e instanceof UsageError ? 2 : 1;
  }
};

await main();
