import * as fs from 'node:fs';
import { formatDecodeErrors } from '@difftape/nn';
import { writeFileAtomic } from '@difftape/nn/node';
import { isLeft } from 'fp-ts/lib/Either.js';
import * as t from 'io-ts';
import { readDataText } from '../read-file.js';

/** The largest metrics.jsonl read: a record is about 1 KB, so room for 200 000 epochs. */
const MAX_METRICS_BYTES = 2 ** 28;

/** One split's metrics at the end of an epoch: mean loss, top-1, and the report's per-digit pair. */
export const SplitMetrics = t.type({
  loss: t.number,
  top1: t.number,
  oneVsRestError: t.array(t.number),
  oneVsRestAccuracy: t.array(t.number),
});
/** One split's metrics at the end of an epoch. */
export type SplitMetrics = t.TypeOf<typeof SplitMetrics>;

/**
 * One line of `<run-dir>/metrics.jsonl`. Epoch 0 is measured before training; `seconds` is the
 * wall time of that epoch's training (0 for epoch 0) and `steps` the optimiser steps so far.
 */
export const EpochRecord = t.type({
  epoch: t.number,
  seconds: t.number,
  steps: t.number,
  train: SplitMetrics,
  test: SplitMetrics,
});
/** One line of `<run-dir>/metrics.jsonl`. */
export type EpochRecord = t.TypeOf<typeof EpochRecord>;

/** The records of a metrics file, and what was skipped on the way (a truncated last line). */
export interface MetricsFile {
  records: EpochRecord[];
  warnings: string[];
}

/** io-ts errors as `train.top1: expected number, got "x"`, one per failing path. */
export const describeErrors = (errors: t.Errors): string => formatDecodeErrors(errors).join('; ');

/** Checks what the codec cannot: sizes that agree, integer epoch, finite numbers. */
const recordProblem = (r: EpochRecord): string | undefined => {
  if (!Number.isInteger(r.epoch) || r.epoch < 0)
    return `epoch: expected an integer >= 0, got ${r.epoch}`;
  const classes = r.train.oneVsRestError.length;
  if (classes < 1) return 'train.oneVsRestError: expected at least 1 class, got 0';
  for (const split of ['train', 'test'] as const) {
    const m = r[split];
    for (const key of ['oneVsRestError', 'oneVsRestAccuracy'] as const) {
      if (m[key].length !== classes) {
        return `${split}.${key}: expected ${classes} classes (as train.oneVsRestError), got ${m[key].length}`;
      }
    }
    const numbers: [string, number][] = [
      ['loss', m.loss],
      ['top1', m.top1],
      ...m.oneVsRestError.map((v, k): [string, number] => [`oneVsRestError[${k}]`, v]),
      ...m.oneVsRestAccuracy.map((v, k): [string, number] => [`oneVsRestAccuracy[${k}]`, v]),
    ];
    for (const [name, v] of numbers) {
      if (!Number.isFinite(v)) return `${split}.${name}: expected a finite number, got ${v}`;
    }
  }
  for (const key of ['seconds', 'steps'] as const) {
    if (!Number.isFinite(r[key]) || r[key] < 0)
      return `${key}: expected a number >= 0, got ${r[key]}`;
  }
  return undefined;
};

/** Decodes and checks one parsed record; an error message (without location) on failure. */
export const decodeRecord = (value: unknown): EpochRecord | string => {
  const decoded = EpochRecord.decode(value);
  if (isLeft(decoded)) return `invalid record: ${describeErrors(decoded.left)}`;
  const problem = recordProblem(decoded.right);
  return problem === undefined ? decoded.right : `invalid record: ${problem}`;
};

/**
 * Reads `metrics.jsonl`: one record per non-blank line. A bad line throws, naming file and line;
 * a last line that is not valid JSON and lacks its newline (a run interrupted mid-write) is
 * skipped and reported in `warnings` instead.
 */
export const readMetricsJsonl = (path: string): MetricsFile => {
  let text: string;
  try {
    text = readDataText(path, MAX_METRICS_BYTES, 'metrics file');
  } catch (e) {
    throw new Error(`cannot read the run's metrics: ${(e as Error).message}`);
  }
  const lines = text.split('\n');
  const records: EpochRecord[] = [];
  const warnings: string[] = [];
  const lineOfEpoch = new Map<number, number>();
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    const where = `${path}:${i + 1}`;
    // split leaves no newline after the last piece: it is unterminated iff it is the final element.
    const unterminated = i === lines.length - 1;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (e) {
      if (unterminated) {
        warnings.push(
          `${where}: skipped a truncated last line (${line.length} characters, no newline)`,
        );
        return;
      }
      throw new Error(`${where}: invalid JSON: ${(e as Error).message}`);
    }
    const record = decodeRecord(value);
    if (typeof record === 'string') throw new Error(`${where}: ${record}`);
    const first = lineOfEpoch.get(record.epoch);
    if (first !== undefined)
      throw new Error(
        `${where}: epoch ${record.epoch} again (first on line ${first}): the run stopped between ` +
          'writing an epoch and saving its checkpoint; `train --resume` on the run folder repairs it',
      );
    lineOfEpoch.set(record.epoch, i + 1);
    records.push(record);
  });
  return { records, warnings };
};

/**
 * Cuts `metrics.jsonl` back to the epochs up to `epoch` (the checkpoint's, which is the truth on
 * resume): later records, duplicates and a torn last line go. Rewritten atomically; returns what
 * was dropped, one line each, for the user.
 */
export const cutMetrics = (path: string, epoch: number): string[] => {
  if (!fs.existsSync(path)) return [];
  const lines = readDataText(path, MAX_METRICS_BYTES, 'metrics file').split('\n');
  const kept: string[] = [];
  const dropped: string[] = [];
  const seen = new Set<number>();
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    let record: EpochRecord | string;
    try {
      record = decodeRecord(JSON.parse(line));
    } catch {
      record = 'not valid JSON';
    }
    if (typeof record === 'string') {
      if (i < lines.length - 1) throw new Error(`${path}:${i + 1}: ${record}`);
      dropped.push(`${path}:${i + 1}: a torn last line (${line.length} characters)`);
    } else if (record.epoch > epoch || seen.has(record.epoch)) {
      dropped.push(
        `${path}:${i + 1}: epoch ${record.epoch}, after the checkpoint's epoch ${epoch}`,
      );
    } else {
      seen.add(record.epoch);
      kept.push(`${JSON.stringify(EpochRecord.encode(record))}\n`);
    }
  });
  if (dropped.length > 0) writeFileAtomic(path, kept.join(''));
  return dropped;
};

/**
 * Appends `record` as one full line with a single write. If the file ends in a partial line (an
 * earlier interrupted write), the new record starts on a fresh line rather than gluing onto it.
 */
export const appendRecord = (path: string, record: EpochRecord): void => {
  const problem = recordProblem(record);
  if (problem !== undefined)
    throw new Error(`appendRecord: ${path}: epoch ${record.epoch}: ${problem}`);
  let lead = '';
  if (fs.existsSync(path)) {
    const size = fs.statSync(path).size;
    if (size > 0) {
      const fd = fs.openSync(path, 'r');
      try {
        const last = Buffer.alloc(1);
        fs.readSync(fd, last, 0, 1, size - 1);
        if (last[0] !== 0x0a) lead = '\n';
      } finally {
        fs.closeSync(fd);
      }
    }
  }
  fs.appendFileSync(path, `${lead}${JSON.stringify(EpochRecord.encode(record))}\n`);
};
