import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  CONFIG_FIELDS,
  decodeTrainConfig,
  encodeTrainConfig,
  readTrainConfig,
  reportConfig,
} from '../../src/run/config.js';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'config-'));
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('the config.json codec', () => {
  it("holds the report's recipe, one field per table entry", () => {
    expect(Object.keys(reportConfig).sort()).toEqual(Object.keys(CONFIG_FIELDS).sort());
    expect(reportConfig).toMatchObject({ epochs: 30, batchSize: 50, lr: 0.05, lambda: 1e-4 });
    expect(reportConfig.optimiser).toBe('sgd');
  });

  it('round-trips through its text', () => {
    const config = decodeTrainConfig({ ...encodeAsObject(), optimiser: 'adam', shift: 2 }, 'c');
    expect(config.shift).toBe(2);
    expect(decodeTrainConfig(JSON.parse(encodeTrainConfig(config)), 'c')).toEqual(config);
  });

  it('reads an older config: the American key, and fields added later at their old value', () => {
    const { optimiser, weightDecay: _w, shift: _s, ...old } = encodeAsObject();
    const decoded = decodeTrainConfig({ ...old, optimizer: optimiser }, 'c');
    expect(decoded).toEqual(reportConfig);
  });

  it('names the file, the field and what was expected', () => {
    const { lr: _lr, ...noLr } = encodeAsObject();
    expect(() => decodeTrainConfig(noLr, 'run/config.json')).toThrow(
      'run/config.json: lr: missing, expected a finite number > 0',
    );
    expect(() => decodeTrainConfig({ ...encodeAsObject(), optimiser: 3 }, 'c.json')).toThrow(
      /c\.json: optimiser: expected one of sgd, momentum, nesterov, adam, adamw, rmsprop, got 3/,
    );
    expect(() => decodeTrainConfig({ ...encodeAsObject(), note: 1 }, 'c.json')).toThrow(
      /c\.json: unknown key "note"/,
    );
  });

  it('reads a file, and says in words when it is not JSON', () => {
    const file = path.join(dir, 'config.json');
    fs.writeFileSync(file, encodeTrainConfig(reportConfig));
    expect(readTrainConfig(file)).toEqual(reportConfig);
    fs.writeFileSync(file, '{');
    expect(() => readTrainConfig(file)).toThrow(`${file}: the run's config is not valid JSON`);
    expect(() => readTrainConfig(path.join(dir, 'none.json'))).toThrow(/cannot read.*ENOENT/);
  });
});

const encodeAsObject = (): Record<string, unknown> =>
  JSON.parse(encodeTrainConfig(reportConfig)) as Record<string, unknown>;
