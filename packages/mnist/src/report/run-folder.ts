import * as fs from 'node:fs';
import * as path from 'node:path';
import { readTrainConfig, type TrainConfig } from '../run/config.js';
import { type EpochRecord, readMetricsJsonl } from '../run/metrics.js';

/** What a run folder tells a report: its records by epoch, its config when present, and warnings. */
export interface RunFolder {
  readonly dir: string;
  readonly records: EpochRecord[];
  readonly final: EpochRecord;
  readonly config: TrainConfig | undefined;
  readonly warnings: string[];
}

/** Reads `<dir>/metrics.jsonl` (required, at least one record) and `<dir>/config.json` (optional). */
export const readRunFolder = (dir: string, who = 'writeReport'): RunFolder => {
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) {
    throw new Error(`${who}: run directory ${dir} does not exist or is not a directory`);
  }
  const metricsPath = path.join(dir, 'metrics.jsonl');
  if (!fs.existsSync(metricsPath)) {
    throw new Error(`${who}: ${metricsPath} is missing: has the run written any epoch yet?`);
  }
  const { records: unsorted, warnings } = readMetricsJsonl(metricsPath);
  if (unsorted.length === 0) {
    throw new Error(`${who}: ${metricsPath} holds no complete epoch record`);
  }
  const records = [...unsorted].sort((a, b) => a.epoch - b.epoch);
  const configPath = path.join(dir, 'config.json');
  const config = fs.existsSync(configPath) ? readTrainConfig(configPath) : undefined;
  if (config === undefined)
    warnings.push(`${configPath} is missing; the report shows no configuration`);
  return { dir, records, final: records[records.length - 1]!, config, warnings };
};
