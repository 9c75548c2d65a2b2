import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  appendRecord,
  cutMetrics,
  decodeRecord,
  type EpochRecord,
  readMetricsJsonl,
} from '../../src/run/metrics.js';

const split = (top1: number, err: number) => ({
  loss: 0.1 + err,
  top1,
  oneVsRestError: Array.from({ length: 10 }, (_, k) => err * (k + 1)),
  oneVsRestAccuracy: Array.from({ length: 10 }, (_, k) => 1 - err * (k + 1)),
});
const record = (epoch: number): EpochRecord => ({
  epoch,
  seconds: epoch === 0 ? 0 : 1.5,
  steps: 100 * epoch,
  train: split(0.9 + epoch / 100, 0.001 / (epoch + 1)),
  test: split(0.88 + epoch / 100, 0.002 / (epoch + 1)),
});

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'records-'));
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('decodeRecord', () => {
  it('accepts a well-formed record and returns it unchanged', () => {
    const r = record(2);
    expect(decodeRecord(JSON.parse(JSON.stringify(r)))).toEqual(r);
  });

  it('names the path, expected type and value of a bad field', () => {
    const bad = { ...record(1), train: { ...record(1).train, top1: 'x' } };
    expect(decodeRecord(bad)).toBe('invalid record: train.top1: expected a number, got "x"');
  });

  it('names an array element by index', () => {
    const r = record(1);
    const bad = {
      ...r,
      test: { ...r.test, oneVsRestError: [0.1, null, ...r.test.oneVsRestError.slice(2)] },
    };
    expect(decodeRecord(bad)).toMatch(/test\.oneVsRestError\[1\]: expected a number, got null/);
  });

  it('reports a missing field', () => {
    const { steps: _steps, ...rest } = record(1);
    expect(decodeRecord(rest)).toMatch(/steps: missing, expected a number/);
  });

  it('rejects class counts that disagree and epochs that are not integers >= 0', () => {
    const r = record(1);
    const short = { ...r, test: { ...r.test, oneVsRestAccuracy: [0.5] } };
    expect(decodeRecord(short)).toMatch(/test\.oneVsRestAccuracy: expected 10 classes .*got 1/);
    expect(decodeRecord({ ...r, epoch: 1.5 })).toMatch(/epoch: expected an integer >= 0, got 1.5/);
    expect(decodeRecord({ ...r, epoch: -1 })).toMatch(/epoch: expected an integer >= 0, got -1/);
  });
});

describe('readMetricsJsonl', () => {
  const write = (text: string): string => {
    const file = path.join(dir, 'metrics.jsonl');
    fs.writeFileSync(file, text);
    return file;
  };
  const line = (r: EpochRecord): string => `${JSON.stringify(r)}\n`;

  it('reads one record per line, skipping blank lines', () => {
    const file = write(`${line(record(0))}\n${line(record(1))}${line(record(2))}`);
    const { records, warnings } = readMetricsJsonl(file);
    expect(records.map((r) => r.epoch)).toEqual([0, 1, 2]);
    expect(records[2]).toEqual(record(2));
    expect(warnings).toEqual([]);
  });

  it('names file and line number for invalid JSON in the middle', () => {
    const file = write(`${line(record(0))}{"epoch": 1,\n${line(record(2))}`);
    expect(() => readMetricsJsonl(file)).toThrow(`${file}:2: invalid JSON`);
  });

  it('names file and line number for a record that fails the codec', () => {
    const file = write(`${line(record(0)) + line(record(1))}{"epoch": 2}\n`);
    expect(() => readMetricsJsonl(file)).toThrow(
      new RegExp(`${file}:3: invalid record: seconds: missing, expected a number`),
    );
  });

  it('skips a truncated last line (no newline) with a warning', () => {
    const full = line(record(2));
    const file = write(line(record(0)) + line(record(1)) + full.slice(0, 40));
    const { records, warnings } = readMetricsJsonl(file);
    expect(records.map((r) => r.epoch)).toEqual([0, 1]);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(
      new RegExp(`${file}:3: skipped a truncated last line \\(40 characters`),
    );
  });

  it('accepts a complete last line without its newline', () => {
    const file = write(line(record(0)) + JSON.stringify(record(1)));
    expect(readMetricsJsonl(file).records.map((r) => r.epoch)).toEqual([0, 1]);
  });

  it('fails on a broken last line that does end in a newline (not an interrupted write)', () => {
    const file = write(`${line(record(0))}{"epoch": 1,\n`);
    expect(() => readMetricsJsonl(file)).toThrow(`${file}:2: invalid JSON`);
  });

  it('names the file when it cannot be read', () => {
    const file = path.join(dir, 'nope.jsonl');
    expect(() => readMetricsJsonl(file)).toThrow(
      `cannot read the run's metrics: ${file}: no such file or folder (ENOENT)`,
    );
  });
});

describe('appendRecord', () => {
  it('appends full lines that read back equal', () => {
    const file = path.join(dir, 'metrics.jsonl');
    appendRecord(file, record(0));
    appendRecord(file, record(1));
    const text = fs.readFileSync(file, 'utf8');
    expect(text.split('\n')).toHaveLength(3);
    expect(text.endsWith('\n')).toBe(true);
    expect(readMetricsJsonl(file).records).toEqual([record(0), record(1)]);
  });

  it('starts a fresh line after a partial one, so the new record stays intact', () => {
    const file = path.join(dir, 'metrics.jsonl');
    fs.writeFileSync(file, `${JSON.stringify(record(0))}\n{"epo`);
    appendRecord(file, record(1));
    const lines = fs.readFileSync(file, 'utf8').split('\n');
    expect(lines[1]).toBe('{"epo');
    expect(JSON.parse(lines[2]!)).toEqual(record(1));
  });

  it('refuses non-finite numbers, which JSON cannot carry', () => {
    const r = record(3);
    const bad = { ...r, train: { ...r.train, loss: Number.NaN } };
    expect(() => appendRecord(path.join(dir, 'm.jsonl'), bad)).toThrow(
      /appendRecord: .*epoch 3: train\.loss: expected a finite number, got NaN/,
    );
  });
});

describe('duplicates and cutting back on resume', () => {
  const line = (epoch: number) => `${JSON.stringify(record(epoch))}\n`;

  it('refuses a file that holds an epoch twice, naming both lines', () => {
    const file = path.join(dir, 'metrics.jsonl');
    fs.writeFileSync(file, line(0) + line(1) + line(1));
    expect(() => readMetricsJsonl(file)).toThrow(`${file}:3: epoch 1 again (first on line 2)`);
  });

  it('cuts to the checkpoint epoch, drops duplicates and a torn last line, and says so', () => {
    const file = path.join(dir, 'metrics.jsonl');
    const torn = line(3).slice(0, 40);
    fs.writeFileSync(file, line(0) + line(1) + line(1) + line(2) + torn);
    const dropped = cutMetrics(file, 1);
    expect(dropped).toEqual([
      `${file}:3: epoch 1, after the checkpoint's epoch 1`,
      `${file}:4: epoch 2, after the checkpoint's epoch 1`,
      `${file}:5: a torn last line (40 characters)`,
    ]);
    expect(fs.readFileSync(file, 'utf8')).toBe(line(0) + line(1));
    expect(readMetricsJsonl(file).records.map((r) => r.epoch)).toEqual([0, 1]);
  });

  it('leaves a file that agrees with the checkpoint untouched, and -1 empties it', () => {
    const file = path.join(dir, 'metrics.jsonl');
    fs.writeFileSync(file, line(0) + line(1));
    const before = fs.statSync(file).mtimeMs;
    expect(cutMetrics(file, 1)).toEqual([]);
    expect(fs.statSync(file).mtimeMs).toBe(before);
    expect(cutMetrics(file, -1)).toHaveLength(2);
    expect(fs.readFileSync(file, 'utf8')).toBe('');
    expect(cutMetrics(path.join(dir, 'none.jsonl'), 3)).toEqual([]);
  });

  it('refuses to cut past a bad line in the middle (that is not a torn write)', () => {
    const file = path.join(dir, 'metrics.jsonl');
    fs.writeFileSync(file, `${line(0)}{"epoch": 1}\n${line(2)}`);
    expect(() => cutMetrics(file, 2)).toThrow(`${file}:2: invalid record`);
  });
});
