#!/usr/bin/env node
import { Command, CommanderError } from 'commander';
import { registerEval } from './cli/eval.js';
import { registerExportImages } from './cli/export-images.js';
import { registerPredict } from './cli/predict.js';
import { registerReport } from './cli/report.js';
import { registerServe } from './cli/serve.js';
import { UsageError } from './cli/shared.js';
import { registerTrain } from './cli/train.js';

const program = new Command()
  .name('pnpm mnist')
  .description(
    "The report's MNIST task on difftape: train the 784-100-100-10 MLP, evaluate, predict, report.",
  )
  .version('0.1.0')
  .showHelpAfterError('(add --help for usage)')
  .exitOverride();
for (const register of [
  registerTrain,
  registerEval,
  registerPredict,
  registerReport,
  registerServe,
  registerExportImages,
])
  register(program);

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
