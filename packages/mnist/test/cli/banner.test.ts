import { describe, expect, test } from 'vitest';
import { settingsLine, startBanner } from '../../src/cli/banner.js';
import { CONFIG_FIELDS, reportConfig } from '../../src/run/config.js';

describe('startBanner', () => {
  test("the report's recipe: its settings as flags, then the model with 89 610 parameters", () => {
    const text = startBanner(reportConfig, { rows: 28, cols: 28 });
    expect(text).toBe(
      [
        'settings: --epochs 30 --batch-size 50 --lr 0.05 --lambda 0.0001 --weight-decay 0 --shift 0 --optimiser sgd --beta 0.9 --schedule constant --seed 0 --train-size 60000 --test-size 10000',
        'model:',
        '  layer        output  params',
        '  input       1x28x28',
        '  Dense(100)      100  78 500',
        '  Relu            100       0',
        '  Dense(100)      100  10 100',
        '  Relu            100       0',
        '  Dense(10)        10   1 010',
        '  total                89 610',
        '',
      ].join('\n'),
    );
  });

  test('every config field but the model has its flag in the settings line', () => {
    const line = settingsLine({
      ...reportConfig,
      optimiser: 'adam',
      schedule: 'cosine',
    });
    const flags = [...line.matchAll(/--([a-z-]+) /g)].map((m) => m[1]);
    expect(flags).toHaveLength(Object.keys(CONFIG_FIELDS).length - 1);
    expect(line).toContain('--lr 0.05 ');
    expect(line).toContain('--optimiser adam ');
    expect(line).toContain('--schedule cosine ');
  });
});
