import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { writeFileAtomic } from '@difftape/nn/node';
import type { Command } from 'commander';
import { DivergedError } from '../diverged.js';
import { evalWorkerCount, forEvalWorkers } from '../eval-pool.js';
import { fsReason } from '../fs-error.js';
import { makeDir } from '../make-dir.js';
import { progressHooks } from '../progress.js';
import {
  encodeTrainConfig,
  readTrainConfig,
  reportConfig,
  type TrainConfig,
} from '../run/config.js';
import { runFiles } from '../run/files.js';
import { lockRun, type RunLock } from '../run/lock.js';
import { cutMetrics, readMetricsJsonl } from '../run/metrics.js';
import { loadStart, type Start, train, trainProblems } from '../train.js';
import { startBanner } from './banner.js';
import { configOptions, decodeFlags, flagOf, givenConfigFlags } from './flags.js';
import {
  dataOptions,
  fail,
  loadData,
  printTable,
  summary,
  timestamp,
  UsageError,
  withSizes,
} from './shared.js';

/** A run to train: its folder, config, and where to start (undefined: from the beginning). */
interface Plan {
  readonly runDir: string;
  readonly config: TrainConfig;
  readonly start: Start | undefined;
  /** What to do once the data is known good, before training: take the lock, fix files. */
  readonly prepare: () => RunLock;
}

const message = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/**
 * `--resume`: the checkpoint's config and position are the truth; a folder whose first checkpoint
 * never got written starts over from its config.json. Only `--epochs` may change (to extend).
 */
const planResume = (runDir: string, flags: Record<string, unknown>): Plan => {
  const files = runFiles(runDir);
  if (!existsSync(files.config)) fail(`--resume: ${runDir} is not a run folder (no config.json)`);
  const given = givenConfigFlags(flags);
  const changed = [...given].filter(([name]) => name !== 'epochs').map(([, flag]) => flag);
  if (changed.length > 0)
    fail(
      `--resume continues ${runDir} with its own config: ${changed.join(', ')} cannot change ` +
        '(only --epochs, to extend the run)',
    );
  let stored: TrainConfig;
  let start: Start | undefined;
  try {
    if (existsSync(files.checkpoint)) {
      const loaded = loadStart(runDir);
      stored = loaded.config;
      start = loaded;
    } else stored = readTrainConfig(files.config);
  } catch (e) {
    return fail(`--resume: ${message(e)}`);
  }
  const config = given.has('epochs') ? decodeFlags({ epochs: flags.epochs }, stored) : stored;
  const done = start?.position.epoch ?? 0;
  if (config.epochs < done)
    fail(
      `--epochs: ${runDir} has already trained ${done} epochs; pass at least ${done} to extend it`,
    );
  return {
    runDir,
    config,
    start,
    prepare: () => {
      const lock = lockRun(runDir);
      if (config.epochs !== stored.epochs) writeFileAtomic(files.config, encodeTrainConfig(config));
      for (const line of cutMetrics(files.metrics, start ? start.position.epoch : -1))
        process.stderr.write(`dropped ${line}\n`);
      return lock;
    },
  };
};

/**
 * What a start killed before writing config.json leaves: its lock and temp files. A folder holding
 * only those may be started again (the lock refuses if its process still runs).
 */
const isLeftover = (name: string, runDir: string): boolean =>
  name === basename(runFiles(runDir).lock) || /^\..+\.\d+\.\d+\.tmp$/.test(name);

/** Whether `runDir` is missing or holds only a dead start's leftovers; errors name `--out`. */
const isEmptyOrNew = (runDir: string): boolean => {
  let names: string[];
  try {
    const stat = statSync(runDir, { throwIfNoEntry: false });
    if (stat === undefined) return true;
    if (!stat.isDirectory()) return fail(`--out: ${runDir} exists and is not a folder`);
    names = readdirSync(runDir);
  } catch (e) {
    if (e instanceof UsageError) throw e;
    return fail(`--out: ${runDir}: ${fsReason(e)}`);
  }
  return names.every((f) => isLeftover(f, runDir));
};

/** A fresh run into `--out` (or runs/<timestamp>), which must be empty or new. */
const planFresh = (flags: Record<string, unknown>): Plan => {
  const config = decodeFlags(flags, reportConfig);
  const out = flags.out;
  if (out === '') fail('--out: expected a folder name, got an empty string');
  const runDir = typeof out === 'string' ? out : join('runs', timestamp());
  if (!isEmptyOrNew(runDir))
    fail(`--out: ${runDir} is not empty; pick another folder or --resume it`);
  return {
    runDir,
    config,
    start: undefined,
    prepare: () => {
      try {
        makeDir(runDir);
        return lockRun(runDir);
      } catch (e) {
        return fail(`--out: ${message(e)}`);
      }
    },
  };
};

/** `train`: the report's recipe by default; writes and resumes run folders. */
export const registerTrain = (program: Command): void => {
  dataOptions(
    configOptions(
      program
        .command('train')
        .description(
          "Train a model (default: the report's recipe) and print the report's per-digit table.\n" +
            'Writes config.json, metrics.jsonl (one line per epoch), checkpoint.safetensors and report.{md,html} with plots into the run folder.\n' +
            'Ctrl-C stops after the current step and saves a checkpoint; --resume continues bit for bit.',
        ),
    )
      .option('--out <dir>', 'run folder (default: runs/<timestamp>)')
      .option(
        '--resume <run-dir>',
        'continue a stopped run from its checkpoint (--epochs N extends it; other training flags are refused)',
      )
      .option(
        '--check-finite',
        'check every op of every step for NaN/Infinity (slower; a non-finite loss is always caught and explained)',
      )
      .option('--no-report', 'skip writing report.md/report.html and plots at the end')
      .option('--json', 'print the final metrics as JSON on stdout'),
  ).action(async (flags) => {
    const plan =
      typeof flags.resume === 'string' ? planResume(flags.resume, flags) : planFresh(flags);
    const { runDir, config, start } = plan;
    // Checked before anything is printed or written, so the message names the flag.
    const resuming = typeof flags.resume === 'string';
    const stored = (flag: string) => `--resume ${runDir} (its config's ${flag.slice(2)})`;
    const data = forEvalWorkers(
      withSizes(
        await loadData(flags),
        config.trainSize,
        config.testSize,
        resuming ? { train: stored('--train-size'), test: stored('--test-size') } : undefined,
      ),
    );
    const problems = trainProblems(config, data);
    if (problems.length > 0)
      fail(
        problems
          .map(
            (p) =>
              `${start || flags.resume ? `--resume ${runDir}` : flagOf(p.field)}: ${p.message}`,
          )
          .join('\n'),
      );
    let lock: RunLock;
    try {
      lock = plan.prepare();
    } catch (e) {
      return fail(message(e));
    }
    try {
      await trainAndPrint(runDir, config, data, start, flags);
    } finally {
      lock.release();
    }
  });
};

const trainAndPrint = async (
  runDir: string,
  config: TrainConfig,
  data: Awaited<ReturnType<typeof loadData>>,
  start: Start | undefined,
  flags: { report: boolean; json?: boolean; checkFinite?: boolean },
): Promise<void> => {
  const progress = progressHooks(config.epochs, { showRate: config.schedule !== 'constant' });
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
  process.stderr.write(startBanner(config, data.train));
  if (start)
    process.stderr.write(
      `resuming after epoch ${start.position.epoch}, step ${start.position.stepInEpoch}\n`,
    );
  let result: Awaited<ReturnType<typeof train>>;
  try {
    result = await train(config, data, runDir, { ...progress, shouldStop: () => stopping }, start, {
      checkFinite: flags.checkFinite === true,
      evalWorkers: evalWorkerCount(),
    });
  } catch (e) {
    progress.stop();
    if (!(e instanceof DivergedError)) throw e;
    const kept = existsSync(runFiles(runDir).checkpoint)
      ? `the last good checkpoint is kept in ${runFiles(runDir).checkpoint}`
      : 'no checkpoint was saved';
    throw new DivergedError(`${e.message}; ${kept}`);
  } finally {
    process.off('SIGINT', onSigint);
  }
  if (result.interrupted) {
    const { epoch, stepInEpoch } = result.interrupted;
    process.stderr.write(
      `stopped after epoch ${epoch}${stepInEpoch ? ` and ${stepInEpoch} steps` : ''}; checkpoint saved.\nresume with: npx -y pnpm@12.21.0 mnist train --resume ${runDir}\n`,
    );
    process.exitCode = 130;
    return;
  }
  // A resumed run that had already finished trains nothing: its last record is on disk.
  const final = result.records.at(-1) ?? readMetricsJsonl(runFiles(runDir).metrics).records.at(-1)!;
  if (flags.report) {
    // Loaded on demand: vega is most of the CLI's start-up time.
    const { writeReport } = await import('../report/report.js');
    const { files, warnings } = await writeReport(runDir, { test: data.test });
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
};
