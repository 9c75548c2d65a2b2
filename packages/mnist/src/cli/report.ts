import { existsSync } from 'node:fs';
import { relative } from 'node:path';
import type { Command } from 'commander';
import { runFiles } from '../run/files.js';
import { readMetricsJsonl } from '../run/metrics.js';
import { fail, printTable } from './shared.js';

/** `report`: report.md, report.html and plots for a run folder, or a comparison of several. */
export const registerReport = (program: Command): void => {
  program
    .command('report')
    .description(
      'Write report.md and report.html with plots (per-digit error and accuracy, loss, top-1, learning rate, confusion matrix, mistakes) for a run folder, and print its table.\n' +
        'With several run folders and --out <dir>: one comparison report overlaying their curves, with their settings and final metrics.',
    )
    .argument('<run-dirs...>', 'run folders made by train')
    .option('--out <dir>', 'folder for the comparison report (needed with several runs)')
    .action(async (runDirs: string[], flags: { out?: string }) => {
      for (const dir of runDirs)
        if (!existsSync(runFiles(dir).metrics))
          fail(`${dir} is not a run folder (no metrics.jsonl)`);
      if (flags.out === undefined && runDirs.length > 1)
        fail(`comparing ${runDirs.length} runs needs --out <dir> for the comparison report`);
      // Loaded on demand: vega is most of the CLI's start-up time.
      const { writeReport } = await import('../report/report.js');
      const { writeComparison } = await import('../report/compare.js');
      const { files, warnings } =
        flags.out === undefined
          ? await writeReport(runDirs[0]!)
          : await writeComparison(runDirs, flags.out);
      for (const w of warnings) process.stderr.write(`warning: ${w}\n`);
      if (flags.out === undefined)
        printTable(readMetricsJsonl(runFiles(runDirs[0]!).metrics).records.at(-1)!);
      process.stdout.write(`\nwrote ${files.map((f) => relative('.', f)).join(', ')}\n`);
    });
};
