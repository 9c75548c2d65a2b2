import { existsSync } from 'node:fs';
import { decodeWith, parseModelSpec } from '@difftape/nn';
import { type Command, Option } from 'commander';
import { isLeft } from 'fp-ts/lib/Either.js';
import type * as t from 'io-ts';
import { readDataText } from '../read-file.js';
import {
  CONFIG_FIELDS,
  type ConfigField,
  decodeTrainConfig,
  type TrainConfig,
} from '../run/config.js';
import { fail } from './shared.js';

/** Old spellings of flags that outside scripts still pass: alias → field. */
const ALIASES: Partial<Record<string, ConfigField>> = { optimizer: 'optimiser' };

/** The flag of a config field: `batchSize` → `--batch-size`. */
export const flagOf = (field: string): string =>
  `--${field.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;

/** Reads a flag's text as a number when it looks like one, so the codec's message shows what was given. */
export const numeric = (raw: string): number | string =>
  /^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i.test(raw.trim()) ? Number(raw) : raw;

/**
 * Adds one flag per config field, from `CONFIG_FIELDS`. No commander defaults: a flag left out
 * is undefined, so `--resume` can tell which ones were given; the help shows the report's value.
 */
export const configOptions = (cmd: Command): Command => {
  for (const [name, f] of Object.entries(CONFIG_FIELDS)) {
    const shown = typeof f.value === 'object' ? '' : ` (default: ${f.value})`;
    cmd.addOption(new Option(`${flagOf(name)} ${f.arg}`, `${f.help}${shown}`));
  }
  for (const [alias, name] of Object.entries(ALIASES))
    cmd.addOption(new Option(`${flagOf(alias)} ${CONFIG_FIELDS[name!].arg}`).hideHelp());
  return cmd;
};

/** The config fields given on the command line, each with the flag that gave it. */
export const givenConfigFlags = (flags: Record<string, unknown>): Map<ConfigField, string> => {
  const given = new Map<ConfigField, string>();
  for (const name of Object.keys(CONFIG_FIELDS) as ConfigField[])
    if (flags[name] !== undefined) given.set(name, flagOf(name));
  for (const [alias, name] of Object.entries(ALIASES))
    if (flags[alias] !== undefined && name && !given.has(name)) given.set(name, flagOf(alias));
  return given;
};

/** The largest model spec file read (a spec is a few lines). */
const MAX_SPEC_BYTES = 2 ** 20;

/** A model spec from a JSON file, validated; errors name the flag, the file and the path inside it. */
export const readModelSpec = (path: string): unknown => {
  if (!existsSync(path)) fail(`--model: no such file: ${path}`);
  let text: string;
  try {
    text = readDataText(path, MAX_SPEC_BYTES, 'model spec file');
  } catch (e) {
    return fail(`--model: ${(e as Error).message}`);
  }
  const spec = parseModelSpec(text);
  if (isLeft(spec)) fail(`--model: ${path}: ${spec.left.join('; ')}`);
  return isLeft(spec) ? undefined : spec.right;
};

/**
 * `base` with every given config flag decoded by its field's codec; every problem becomes one
 * line naming the flag as the user spelled it.
 */
export const decodeFlags = (flags: Record<string, unknown>, base: TrainConfig): TrainConfig => {
  const config: Record<string, unknown> = { ...base };
  const problems: string[] = [];
  for (const [name, flag] of givenConfigFlags(flags)) {
    const raw = flags[name] ?? flags[flag.slice(2)];
    if (name === 'model') {
      config.model = readModelSpec(String(raw));
      continue;
    }
    const codec: t.Decoder<unknown, unknown> = CONFIG_FIELDS[name].codec;
    const decoded = decodeWith(codec, typeof raw === 'string' ? numeric(raw) : raw, flag);
    if (isLeft(decoded)) problems.push(decoded.left);
    else config[name] = decoded.right;
  }
  if (problems.length) fail(problems.join('\n'));
  return decodeTrainConfig(config, 'flags');
};
