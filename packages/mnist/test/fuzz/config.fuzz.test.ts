import { alloc, key, rawOf } from '@difftape/core';
import { modelFromSpec, parseModelSpec, specParamShapes } from '@difftape/nn';
import { fc, test } from '@fast-check/vitest';
import { isLeft } from 'fp-ts/lib/Either.js';
import { describe, expect } from 'vitest';
import { decodeFlags } from '../../src/cli/flags.js';
import { UsageError } from '../../src/cli/shared.js';
import { makeDataset } from '../../src/data.js';
import {
  CONFIG_FIELDS,
  decodeTrainConfig,
  reportConfig,
  TrainConfigCodec,
} from '../../src/run/config.js';
import { MAX_MODEL_PARAMS, trainProblems } from '../../src/train.js';
import { RUNS, TIMEOUT } from './fuzz-helpers.js';

/**
 * Fuzzing what configures a run: model spec files, config.json values and the training flags.
 * Each ends in a value the codecs accept or in an error that names the input; a model that passes
 * `trainProblems` has one output per class and a bounded size, so nothing is allocated blindly.
 */

const data = {
  train: makeDataset(new Uint8Array(60 * 784), new Uint8Array(60), 28, 28, 'fuzz'),
  test: makeDataset(new Uint8Array(2 * 784), new Uint8Array(2), 28, 28, 'fuzz'),
};

const units = fc.oneof(
  fc.constant(10),
  fc.nat(20),
  fc.integer(),
  fc.double(),
  fc.constantFrom(2_000_000, 2 ** 31, 2 ** 53, -0),
  fc.jsonValue(),
);
const layer = fc.oneof(
  fc.constantFrom('relu', 'tanh', 'sigmoid', 'softmax', 'logSoftmax', 'gelu', ''),
  fc.record({ dense: units }),
  fc.record({
    dense: fc.record(
      {
        units,
        init: fc.oneof(
          fc.constantFrom('heNormal', 'glorotUniform', 'zeros', 'x'),
          fc.record({ normal: fc.oneof(fc.double(), fc.constant(0.1)) }),
        ),
        bias: fc.jsonValue(),
      },
      { requiredKeys: ['units'] },
    ),
  }),
  fc.dictionary(fc.constantFrom('__proto__', 'constructor', 'dense', 'conv'), fc.jsonValue(), {
    maxKeys: 2,
  }),
  fc.jsonValue(),
);
const activation = fc.constantFrom('relu', 'tanh', 'sigmoid', 'softmax', 'logSoftmax');
// Specs a user would write: hidden layers, then 10 outputs, maybe an activation after them.
const plausible = fc
  .tuple(
    fc.array(fc.oneof(fc.record({ dense: fc.integer({ min: 1, max: 16 }) }), activation), {
      maxLength: 4,
    }),
    fc.option(activation, { nil: undefined }),
  )
  .map(([hidden, after]) => ({ layers: [...hidden, { dense: 10 }, ...(after ? [after] : [])] }));
const spec = fc.oneof(
  { weight: 3, arbitrary: plausible },
  { weight: 4, arbitrary: fc.record({ layers: fc.array(layer, { maxLength: 6 }) }) },
  { weight: 1, arbitrary: fc.jsonValue() },
);
const specText = fc.oneof(
  { weight: 4, arbitrary: spec.map((s) => JSON.stringify(s)) },
  { weight: 1, arbitrary: fc.string() },
  // Deep nesting: parsing and validation must not overflow the stack.
  { weight: 1, arbitrary: fc.nat(20_000).map((n) => `${'['.repeat(n)}${']'.repeat(n)}`) },
);

describe('fuzzing model specs', () => {
  test.prop([specText], { numRuns: RUNS })(
    'a spec is refused with readable reasons, or trains only with 10 outputs and bounded size',
    (text) => {
      const parsed = parseModelSpec(text);
      if (isLeft(parsed)) {
        expect(parsed.left.length).toBeGreaterThan(0);
        for (const line of parsed.left) {
          expect(typeof line).toBe('string');
          // A value is shown as itself (cut short), never as `[object Array]`.
          expect(line).not.toContain('[object ');
        }
        return;
      }
      const config = { ...reportConfig, model: parsed.right };
      const problems = trainProblems(config, data);
      for (const p of problems) expect(['model', 'batchSize', 'shift']).toContain(p.field);
      if (problems.length > 0) return;
      const shapes = specParamShapes(parsed.right, [1, 28, 28]);
      const params = shapes.reduce((n, l) => n + ('W' in l ? l.W[0] * l.W[1] + l.b[1] : 0), 0);
      expect(params).toBeLessThanOrEqual(MAX_MODEL_PARAMS);
      // Small enough to build here: it really gives one score per class.
      if (params <= 20_000) {
        const model = modelFromSpec(parsed.right, { input: [1, 28, 28] });
        const [p, outputShape] = model.init(key(0), [1, 28, 28]);
        expect(outputShape).toEqual([10]);
        const y = rawOf(model.apply(p, alloc(1, 784)[0]));
        expect(y.columns).toBe(10);
      }
    },
    TIMEOUT,
  );
});

describe('fuzzing config.json values', () => {
  const field = fc.constantFrom(...Object.keys(CONFIG_FIELDS), '__proto__', 'extra');
  const config = fc.oneof(
    fc.jsonValue(),
    fc.dictionary(field, fc.jsonValue(), { maxKeys: 6 }).map((d) => ({ ...reportConfig, ...d })),
  );
  test.prop([config], { numRuns: RUNS })(
    'decodes to a config the codec accepts, or an error naming the file',
    (value) => {
      try {
        const decoded = decodeTrainConfig(value, 'config.json');
        expect(TrainConfigCodec.is(decoded)).toBe(true);
      } catch (e) {
        expect(e).toBeInstanceOf(Error);
        expect((e as Error).message.startsWith('config.json')).toBe(true);
      }
    },
    TIMEOUT,
  );
});

describe('fuzzing the training flags', () => {
  const text = fc.oneof(
    fc.string({ maxLength: 8 }),
    fc.integer().map(String),
    fc.double().map(String),
    fc.constantFrom('9007199254740991', '9007199254740993', '1e400', '-0', '0x10', ' 5 ', 'NaN'),
    fc.constantFrom('sgd', 'adam', 'nesterov', 'momentum', 'cosine', 'constant', 'rmsprop'),
  );
  const names = Object.keys(CONFIG_FIELDS).filter((n) => n !== 'model');
  const flags = fc.dictionary(fc.constantFrom(...names, 'optimizer'), text, { maxKeys: 5 });
  test.prop([flags], { numRuns: RUNS })(
    'decode to a valid config, or a usage error naming each bad flag; then the data checks hold',
    (given) => {
      let decoded: ReturnType<typeof decodeFlags>;
      try {
        decoded = decodeFlags(given, reportConfig);
      } catch (e) {
        expect(e).toBeInstanceOf(UsageError);
        const flagsGiven = Object.keys(given).map(
          (n) => `--${n.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`,
        );
        for (const line of (e as Error).message.split('\n'))
          expect(
            flagsGiven.some((f) => line.startsWith(f)),
            line,
          ).toBe(true);
        return;
      }
      expect(TrainConfigCodec.is(decoded)).toBe(true);
      // Whatever decodes is either trainable on the data or refused with the field at fault.
      for (const p of trainProblems(decoded, data)) expect(p.message.length).toBeGreaterThan(0);
    },
    TIMEOUT,
  );
});
