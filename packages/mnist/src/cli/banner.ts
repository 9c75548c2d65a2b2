import { formatSummary, summary } from '@difftape/nn';
import { imageShape, modelFor } from '../model.js';
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
 * output shape and parameter count, and the total (89 610 for the report's model on 28 × 28 pixels).
 */
export const startBanner = (config: TrainConfig, images: { rows: number; cols: number }): string =>
  `settings: ${settingsLine(config)}\nmodel:\n${indent(formatSummary(summary(modelFor(config.model, images), imageShape(images))))}\n`;
