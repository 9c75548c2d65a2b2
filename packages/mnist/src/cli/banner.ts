import { formatSummary, modelFromSpec, summary } from '@difftape/nn';
import { CONFIG_FIELDS, type ConfigField, type TrainConfig } from '../run/config.js';
import { flagOf } from './flags.js';

/** A run's settings as the flags that repeat it, in the table's order; the model is summarised apart. */
export const settingsLine = (config: TrainConfig): string =>
  (Object.keys(CONFIG_FIELDS) as ConfigField[])
    .filter((name) => name !== 'model')
    .map((name) => `${flagOf(name)} ${String(config[name])}`)
    .join(' ');

const indent = (text: string): string => text.replace(/^/gm, '  ');

/**
 * What `train` prints before the first step: the settings, then the model, a row per layer with its
 * output width and parameter count, and the total (89 610 for the report's model on 784 pixels).
 */
export const startBanner = (config: TrainConfig, inputCols: number): string =>
  `settings: ${settingsLine(config)}\nmodel:\n${indent(formatSummary(summary(modelFromSpec(config.model), inputCols)))}\n`;
