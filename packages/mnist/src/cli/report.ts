import { existsSync } from 'node:fs';
import { relative } from 'node:path';
import type { Command } from 'commander';
import { writeReport } from '../report/report.js';
import { runFiles } from '../run/files.js';
import { readMetricsJsonl } from '../run/metrics.js';
import { fail, printTable } from './shared.js';

/** `report`: report.md, report.html and plots for a run folder. */
export const registerReport = (program: Command): void => {
  program
    .command('report')
    .description(
      'Write report.md and report.html with plots (per-digit error and accuracy, loss, top-1) for a run folder, and print its table.',
    )
    .argument('<run-dir>', 'a run folder made by train')
    .action(async (runDir: string) => {
      const { metrics } = runFiles(runDir);
      if (!existsSync(metrics)) fail(`${runDir} is not a run folder (no metrics.jsonl)`);
      const { files, warnings } = await writeReport(runDir);
      for (const w of warnings) process.stderr.write(`warning: ${w}\n`);
      printTable(readMetricsJsonl(metrics).records.at(-1)!);
      process.stdout.write(`\nwrote ${files.map((f) => relative('.', f)).join(', ')}\n`);
    });
};
