import { fc, test } from '@fast-check/vitest';
import { isLeft, isRight, left } from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import {
  decodeModelSpec,
  denseUnits,
  ModelSpec,
  parseModelSpec,
  reportModelSpec,
} from '../src/spec.js';

const units = fc.integer({ min: 1, max: 100_000 });
const init = fc.oneof(
  fc.record({ normal: fc.double({ min: Number.MIN_VALUE, max: 1e6, noNaN: true }) }),
  fc.constantFrom('heNormal', 'glorotUniform', 'zeros'),
);
const dense = fc.oneof(
  units.map((u) => ({ dense: u })),
  fc.record({ units, init, bias: init }, { requiredKeys: ['units'] }).map((d) => ({ dense: d })),
);
const conv2d = fc
  .record(
    {
      filters: units,
      kernel: fc.integer({ min: 1, max: 7 }),
      padding: fc.constantFrom('same', 'valid'),
      stride: fc.integer({ min: 1, max: 3 }),
      init,
      bias: init,
    },
    { requiredKeys: ['filters', 'kernel'] },
  )
  .map((c) => ({ conv2d: c }));
const layer = fc.oneof(
  fc.constantFrom('relu', 'tanh', 'sigmoid', 'softmax', 'logSoftmax', 'flatten'),
  dense,
  conv2d,
  fc.integer({ min: 1, max: 4 }).map((k) => ({ maxPool2d: k })),
  fc.integer({ min: 1, max: 4 }).map((k) => ({ avgPool2d: k })),
  fc.double({ min: 0, max: 0.99, noNaN: true }).map((r) => ({ dropout: r })),
  fc.constantFrom({ layerNorm: {} }, { layerNorm: { eps: 1e-3 } }),
);
/** Valid specs, as plain JSON values. */
const spec = fc.record(
  {
    input: fc.array(fc.integer({ min: 1, max: 30 }), { minLength: 1, maxLength: 3 }),
    layers: fc.array(layer, { maxLength: 6 }),
  },
  { requiredKeys: ['layers'] },
);

const errorsOf = (json: unknown): string[] => {
  const result = decodeModelSpec(json);
  if (!isLeft(result)) throw new Error('expected the spec to be rejected');
  return result.left;
};

describe('ModelSpec', () => {
  it('accepts the DESIGN example', () => {
    const json = { layers: [{ dense: 100 }, 'relu', { dense: 100 }, 'relu', { dense: 10 }] };
    expect(decodeModelSpec(json)).toEqual({ _tag: 'Right', right: json });
  });

  it('holds the report model', () => {
    const dense = (n: number) => ({ dense: { units: n, init: { normal: 0.1 }, bias: 'zeros' } });
    expect(reportModelSpec).toEqual({
      layers: [dense(100), 'relu', dense(100), 'relu', dense(10)],
    });
    const sizes = reportModelSpec.layers.flatMap((l) =>
      typeof l === 'object' && 'dense' in l ? [denseUnits(l)] : [],
    );
    expect(sizes).toEqual([100, 100, 10]);
  });

  test.prop([spec])('encode(decode(x)) deep-equals x for valid specs', (json) => {
    const decoded = decodeModelSpec(json);
    if (!isRight(decoded)) throw new Error(decoded.left.join('\n'));
    expect(ModelSpec.encode(decoded.right)).toEqual(json);
    expect(parseModelSpec(JSON.stringify(json))).toEqual(decoded);
  });

  test.prop([
    spec,
    fc.stringMatching(/^[a-z]{1,8}$/).filter((k) => k !== 'layers' && k !== 'input'),
  ])('rejects any unknown top-level key, naming it', (json, key) => {
    expect(errorsOf({ ...json, [key]: 1 })).toEqual([
      `unknown key "${key}" (allowed: "layers", "input")`,
    ]);
  });

  const invalid: [string, unknown, string[]][] = [
    [
      'a dense layer with a string size',
      { layers: [{ dense: 100 }, 'relu', { dense: 'x' }] },
      [
        'layers[2].dense: expected a positive integer or an object {"units", "init"?, "bias"?}, got "x"',
      ],
    ],
    [
      'an unknown activation',
      { layers: ['foo'] },
      [
        'layers[0]: expected one of "relu", "tanh", "sigmoid", "softmax", "logSoftmax", "flatten", got "foo"',
      ],
    ],
    [
      'an unknown layer kind',
      { layers: [{ conv: 3 }] },
      [
        'layers[0]: expected a layer name or an object with one of the keys "dense", "conv2d", "maxPool2d", "avgPool2d", "dropout", "layerNorm", got {"conv":3}',
      ],
    ],
    [
      'an extra key beside dense',
      { layers: [{ dense: 5, act: 'relu' }] },
      ['layers[0]: unknown key "act" (allowed: "dense")'],
    ],
    [
      'zero units (long form)',
      { layers: [{ dense: { units: 0 } }] },
      ['layers[0].dense.units: expected a positive integer, got 0'],
    ],
    [
      'fractional units',
      { layers: [{ dense: { units: 2.5 } }] },
      ['layers[0].dense.units: expected a positive integer, got 2.5'],
    ],
    [
      'a misspelt units key',
      { layers: [{ dense: { unit: 3 } }] },
      [
        'layers[0].dense: unknown key "unit" (allowed: "units", "init", "bias")',
        'layers[0].dense.units: missing, expected a positive integer',
      ],
    ],
    [
      'an unknown initialiser',
      { layers: [{ dense: { units: 3, init: 'he' } }] },
      [
        'layers[0].dense.init: expected an object {"normal": std} or one of "heNormal", "glorotUniform", "zeros", got "he"',
      ],
    ],
    [
      'a negative std',
      { layers: [{ dense: { units: 3, bias: { normal: -1 } } }] },
      ['layers[0].dense.bias.normal: expected a finite number > 0, got -1'],
    ],
    [
      'an extra initialiser key',
      { layers: [{ dense: { units: 3, init: { normal: 1, mean: 0 } } }] },
      ['layers[0].dense.init: unknown key "mean" (allowed: "normal")'],
    ],
    ['layers not an array', { layers: 'relu' }, ['layers: expected an array, got "relu"']],
    [
      'a misspelt layers key',
      { layer: [] },
      ['unknown key "layer" (allowed: "layers", "input")', 'layers: missing, expected an array'],
    ],
    ['not an object', 3, ['expected an object {"input"?, "layers": [...]}, got 3']],
    [
      'a convolution without its kernel, and a dropout rate of 1',
      { layers: [{ conv2d: { filters: 2 } }, { dropout: 1 }] },
      [
        'layers[0].conv2d.kernel: missing, expected a positive integer',
        'layers[1].dropout: expected a rate in [0, 1), got 1',
      ],
    ],
    [
      'an unknown padding',
      { layers: [{ conv2d: { filters: 2, kernel: 3, padding: 'full' } }] },
      ['layers[0].conv2d.padding: expected one of "same", "valid", got "full"'],
    ],
    [
      'two kinds in one layer, and a zero in the input shape',
      { input: [1, 0], layers: [{ dense: 2, conv2d: {} }] },
      [
        'layers[0]: expected one layer kind, got "dense" and "conv2d"',
        'input[1]: expected a positive integer, got 0',
      ],
    ],
    [
      'a layer that is a number',
      { layers: [3] },
      ['layers[0]: expected a layer name or an object {"<kind>": ...}, got 3'],
    ],
  ];
  it.each(invalid)('rejects %s with a readable path', (_name, json, expected) => {
    expect(errorsOf(json)).toEqual(expected);
  });
});

describe('parseModelSpec', () => {
  it('parses JSON text', () => {
    const result = parseModelSpec('{"layers": [{"dense": 10}, "softmax"]}');
    expect(result).toEqual({ _tag: 'Right', right: { layers: [{ dense: 10 }, 'softmax'] } });
  });

  it('reports a JSON syntax error as one line', () => {
    const result = parseModelSpec('{"layers": [}');
    if (!isLeft(result)) throw new Error('expected a syntax error');
    const lines = result.left;
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^invalid JSON: /);
  });

  it('reports validation errors of well-formed JSON', () => {
    expect(parseModelSpec('{"layers": ["relu", {"dense": -1}]}')).toEqual(
      left([
        'layers[1].dense: expected a positive integer or an object {"units", "init"?, "bias"?}, got -1',
      ]),
    );
  });

  it('names the path, the expectation and the start of a value nested 20 000 levels deep', () => {
    const deep = `${'['.repeat(20_000)}1${']'.repeat(20_000)}`;
    const got = `got ${'['.repeat(57)}...`;
    expect(parseModelSpec(deep)).toEqual(
      left([`expected an object {"input"?, "layers": [...]}, ${got}`]),
    );
    expect(parseModelSpec(`{"layers": [${deep}]}`)).toEqual(
      left([`layers[0]: expected a layer name or an object {"<kind>": ...}, ${got}`]),
    );
    expect(parseModelSpec(`{"layers": [{"dense": ${deep}}]}`)).toEqual(
      left([
        `layers[0].dense: expected a positive integer or an object {"units", "init"?, "bias"?}, ${got}`,
      ]),
    );
    expect(parseModelSpec(`{"input": [${deep}], "layers": []}`)).toEqual(
      left([`input[0]: expected a positive integer, ${got}`]),
    );
  });
});
