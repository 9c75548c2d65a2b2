import type { Command } from 'commander';
import { evalPool, evalWorkerCount, forEvalWorkers, localEvaluator } from '../eval-pool.js';
import { splitMetrics } from '../evaluate.js';
import { epochLine } from '../progress.js';
import { reportConfig } from '../run/config.js';
import type { EpochRecord } from '../run/metrics.js';
import { decodeFlags } from './flags.js';
import { dataOptions, loadData, loadModel, printTable, summary, withSizes } from './shared.js';

/** `eval`: a checkpoint's per-digit table on the data sizes it was trained with. */
export const registerEval = (program: Command): void => {
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
    const { model, params, meta, spec, shape } = loadModel(flags.params);
    const trained = meta?.config ?? reportConfig;
    const sizes = decodeFlags({ trainSize: flags.trainSize, testSize: flags.testSize }, trained);
    // A size the user did not pass comes from the checkpoint's config: say so, not the flag.
    const stored = (flag: string, given: unknown) =>
      given !== undefined
        ? flag
        : `${flag} (not given; the checkpoint was trained with this size, pass ${flag} to choose)`;
    const data = forEvalWorkers(
      withSizes(await loadData(flags), sizes.trainSize, sizes.testSize, {
        train: stored('--train-size', flags.trainSize),
        test: stored('--test-size', flags.testSize),
      }),
    );
    const workers = evalWorkerCount();
    const evaluator =
      workers > 0 ? evalPool({ spec, input: shape }, workers) : localEvaluator(model);
    let record: EpochRecord;
    try {
      record = {
        epoch: meta?.epoch ?? 0,
        seconds: 0,
        steps: meta?.step ?? 0,
        train: splitMetrics(await evaluator.evaluate(params, data.train)),
        test: splitMetrics(await evaluator.evaluate(params, data.test)),
      };
    } finally {
      await evaluator.close();
    }
    if (flags.json)
      process.stdout.write(`${JSON.stringify(summary(record, { params: flags.params }))}\n`);
    else {
      process.stderr.write(`${epochLine(record, record.epoch)}\n`);
      printTable(record);
    }
  });
};
