import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  appendRecord,
  decodeRecord,
  decodeRunConfig,
  type EpochRecord,
  readMetricsJsonl,
  readRunConfig,
} from '../../src/report/records.js';

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
    expect(() => readMetricsJsonl(file)).toThrow(`readMetricsJsonl: cannot read ${file}`);
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

describe('RunConfig', () => {
  const config = {
    epochs: 30,
    batchSize: 50,
    lr: 0.05,
    lambda: 0.001,
    optimiser: 'sgd',
    seed: 0,
    trainSize: 60000,
    testSize: 10000,
    model: { layers: [{ dense: 100 }, 'relu', { dense: 10 }] },
  };

  it('accepts the hyperparameters and keeps extra keys', () => {
    const decoded = decodeRunConfig({ ...config, note: 'extra' }, 'config.json');
    expect(decoded).toEqual({ ...config, note: 'extra' });
  });

  it('names the source and the bad key', () => {
    const { lr: _lr, ...noLr } = config;
    expect(() => decodeRunConfig(noLr, 'run/config.json')).toThrow(
      'run/config.json: invalid run config: lr: missing, expected a number',
    );
    expect(() => decodeRunConfig({ ...config, optimiser: 3 }, 'c.json')).toThrow(
      /optimiser: expected a string, got 3/,
    );
  });

  it('reads a file, and names it when it is not JSON', () => {
    const file = path.join(dir, 'config.json');
    fs.writeFileSync(file, JSON.stringify(config));
    expect(readRunConfig(file)).toEqual(config);
    fs.writeFileSync(file, '{');
    expect(() => readRunConfig(file)).toThrow(`readRunConfig: cannot read ${file}`);
  });
});
