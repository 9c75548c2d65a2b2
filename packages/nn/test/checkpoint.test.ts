import { fromFlat, Matrix, type Tree } from '@difftape/core';
import { fc, test } from '@fast-check/vitest';
import * as t from 'io-ts';
import { describe, expect, it } from 'vitest';
import { CheckpointError, decodeCheckpoint, encodeCheckpoint } from '../src/checkpoint.js';
import { NonNegativeInt } from '../src/decode.js';
import { decodeSafetensors, encodeSafetensors, SafetensorsError } from '../src/safetensors.js';
import {
  craftCheckpoint,
  expectSameTree,
  m,
  manifestBase,
  ref,
  reportModelSpec,
  sample,
  sha256Hex,
  tree,
  withSpec,
  zeros,
} from './checkpoint-helpers.js';

const decodeError = (bytes: Uint8Array, options = {}): Error => {
  try {
    decodeCheckpoint(bytes, { what: 'x', ...options });
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected decodeCheckpoint to throw');
};

/** The file with its header JSON edited in place by `edit`, the buffer kept. */
// biome-ignore lint/suspicious/noExplicitAny: a test edits raw header JSON
const editHeader = (bytes: Uint8Array, edit: (header: any) => void): Uint8Array => {
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
  edit(header);
  const json = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + bytes.length - 8 - n);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(bytes.subarray(8 + n), 8 + json.length);
  return out;
};

describe('encodeCheckpoint / decodeCheckpoint', () => {
  test.prop([tree, tree], { numRuns: 40 })(
    'F64 round trip is bit-identical, structure included',
    (params, opt) => {
      const bytes = encodeCheckpoint({ params, optimiserState: { opt } });
      const loaded = decodeCheckpoint(bytes, { allowNonFinite: true });
      expectSameTree(loaded.params, params);
      expectSameTree(loaded.optimiserState, { opt });
      expect(loaded.dtype).toBe('F64');
    },
  );

  test.prop([tree], { numRuns: 20 })('F32 round trip equals Math.fround', (params) => {
    const loaded = decodeCheckpoint(encodeCheckpoint({ params }, { dtype: 'F32' }), {
      allowNonFinite: true,
    });
    expectSameTree(loaded.params, params, Math.fround);
    expect(loaded.dtype).toBe('F32');
  });

  it('round-trips optimiser scalars, spec and meta', () => {
    const ckpt = { ...withSpec(), optimiserState: sample().optimiserState };
    const loaded = decodeCheckpoint(encodeCheckpoint(ckpt));
    expectSameTree(loaded.params, ckpt.params);
    const [first, second] = loaded.optimiserState as [
      Record<string, unknown>,
      Record<string, unknown>,
    ];
    expect(first.count).toBe(3);
    expect(first.nu).toBeNull();
    expectSameTree(first.mu, { W: m([[0.1]]) });
    expect(Object.is(second.lr, -0)).toBe(true);
    expect(second).toEqual({ lr: -0, name: 'adam', on: true, none: undefined });
    expect(Object.hasOwn(second, 'none')).toBe(true);
    expect(loaded.spec).toEqual(ckpt.spec);
    expect(loaded.meta).toEqual(ckpt.meta);
  });

  it('keeps non-finite optimiser numbers', () => {
    const state = {
      a: Number.NaN,
      b: Number.POSITIVE_INFINITY,
      c: Number.NEGATIVE_INFINITY,
      d: 1e-310,
    };
    const bytes = encodeCheckpoint({ params: [], optimiserState: state });
    expect(decodeCheckpoint(bytes).optimiserState).toEqual(state);
  });

  it('leaves spec undefined and meta {} when not given', () => {
    const loaded = decodeCheckpoint(encodeCheckpoint({ params: m([[1]]) }));
    expect(loaded.spec).toBeUndefined();
    expect(loaded.meta).toEqual({});
    expect(loaded.optimiserState).toBeUndefined();
    expect(loaded.params).toBeInstanceOf(Matrix);
    expect(loaded.params instanceof Matrix && loaded.params.to2DArray()).toEqual([[1]]);
  });

  it('is one safetensors file: tensors params/<path>, opt/<path>; manifest and digest in __metadata__', () => {
    const bytes = encodeCheckpoint(sample());
    const { tensors, metadata } = decodeSafetensors(bytes, 'x');
    expect([...tensors.keys()]).toEqual([
      'params/layers.0.W',
      'params/layers.0.b',
      'params/layers.1.W',
      'params/layers.1.b',
      'opt/0.mu.W',
    ]);
    expect(Object.keys(metadata)).toEqual(['format', 'sha256', 'manifest']);
    expect(metadata.format).toBe('difftape-checkpoint');
    const manifest = JSON.parse(metadata.manifest!);
    expect(manifest.params.object.layers.array[1].object.W).toEqual({
      tensor: 'params/layers.1.W',
      shape: [3, 1],
    });
    expect(manifest.version).toBe(2);
    const start = 8 + Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect(metadata.sha256).toBe(sha256Hex(metadata.manifest!, bytes.subarray(start)));
  });

  it('is deterministic: the same checkpoint gives the same bytes', () => {
    expect(encodeCheckpoint(sample())).toEqual(encodeCheckpoint(sample()));
  });
});

describe('encodeCheckpoint errors', () => {
  const encodeError = (ckpt: Parameters<typeof encodeCheckpoint>[0]): Error => {
    try {
      encodeCheckpoint(ckpt);
    } catch (e) {
      return e as Error;
    }
    throw new Error('expected encodeCheckpoint to throw');
  };
  it('rejects a params leaf that is not a Matrix', () => {
    // @ts-expect-error: a number leaf, as an untyped caller may pass
    const e = encodeError({ params: { layers: [{ W: 3 }] } });
    expect(e).toBeInstanceOf(CheckpointError);
    expect(e.message).toBe('checkpoint: params.layers.0.W: expected a Matrix, got a number');
  });
  it('rejects optimiser state it cannot rebuild', () => {
    expect(encodeError({ params: [], optimiserState: { seen: new Set() } }).message).toBe(
      'checkpoint: optimiserState.seen: cannot save a Set',
    );
  });
  it('rejects meta that is not JSON', () => {
    expect(encodeError({ params: [], meta: { loss: [1, Number.NaN] } }).message).toBe(
      'checkpoint: meta.loss.1: NaN is not JSON',
    );
    expect(encodeError({ params: [], meta: { at: new Date(0) } }).message).toBe(
      'checkpoint: meta.at: a Date is not JSON',
    );
  });
  it('rejects keys that would reach a prototype on load', () => {
    expect(encodeError({ params: { constructor: m([[1]]) } }).message).toBe(
      'checkpoint: params: the key "constructor" is not allowed in a checkpoint',
    );
    expect(encodeError({ params: [], meta: { a: { prototype: 1 } } }).message).toBe(
      'checkpoint: meta.a: the key "prototype" is not allowed in a checkpoint',
    );
  });
  it('rejects an invalid spec, and a spec that does not fit the params', () => {
    expect(
      encodeError({ params: [], spec: { layers: [{ dense: 0 }] } as never }).message,
    ).toContain('checkpoint: spec: layers[0].dense: expected');
    expect(encodeError({ ...withSpec(), spec: reportModelSpec }).message).toBe(
      'checkpoint: checkpoint: the model spec does not fit the stored parameters: params: expected an array of 5, got an array of 3',
    );
    const wider = { layers: [{ dense: 4 }, 'relu', { dense: 2 }] } as never;
    expect(encodeError({ ...withSpec(), spec: wider }).message).toBe(
      'checkpoint: checkpoint: the model spec does not fit the stored parameters: params: 0.W: expected 2x4, got 2x3',
    );
  });
  it('rejects keys whose tensor names collide', () => {
    const params = { 'a.b': m([[1]]), a: { b: m([[2]]) } };
    expect(encodeError({ params }).message).toBe(
      'checkpoint: params.a.b: two leaves map to tensor name "params/a.b" (a key contains ".")',
    );
  });
});

describe('decodeCheckpoint refuses', () => {
  it('a changed tensor byte, a changed manifest, swapped tensors (SHA-256)', () => {
    const bytes = encodeCheckpoint(sample());
    const flipped = bytes.slice();
    flipped[flipped.length - 1]! ^= 1;
    expect(decodeError(flipped).message).toMatch(
      /^checkpoint: x: SHA-256 of its manifest and tensors is [0-9a-f]{64}, its header says [0-9a-f]{64}: the file was changed or damaged after it was saved$/,
    );
    const edited = Buffer.from(bytes);
    const at = edited.indexOf('\\"epoch\\":3');
    expect(at).toBeGreaterThan(0);
    edited.write('9', at + '\\"epoch\\":'.length);
    expect(decodeError(edited).message).toContain('the file was changed or damaged');
    // Two 1x1 tensors trade places through their data_offsets: the bytes hash in manifest order.
    const two = encodeCheckpoint({ params: { a: m([[1]]), b: m([[2]]) } });
    const swapped = editHeader(two, (h) => {
      const offsets = h['params/a'].data_offsets;
      h['params/a'].data_offsets = h['params/b'].data_offsets;
      h['params/b'].data_offsets = offsets;
    });
    expect(decodeSafetensors(swapped, 'x').tensors.get('params/a')!.data[0]).toBe(2);
    expect(decodeError(swapped).message).toContain('the file was changed or damaged');
  });

  it('non-finite parameters, naming tensor and index (unless allowed)', () => {
    const W = fromFlat(2, 3, [0, 1, 2, 3, Number.NEGATIVE_INFINITY, 5]);
    const bytes = encodeCheckpoint({ params: { layers: [{ W }] } });
    const e = decodeError(bytes);
    expect(e).toBeInstanceOf(CheckpointError);
    expect(e.message).toBe(
      'checkpoint: x: parameter params.layers.0.W (tensor "params/layers.0.W") holds -Infinity at index 4 (row 1, column 1): non-finite parameters are refused',
    );
    expect(decodeError(encodeCheckpoint({ params: m([[Number.NaN]]) })).message).toContain(
      'holds NaN at index 0 (row 0, column 0)',
    );
    const loaded = decodeCheckpoint(bytes, { allowNonFinite: true });
    expect((loaded.params as { layers: { W: Matrix }[] }).layers[0]!.W.get(1, 1)).toBe(
      Number.NEGATIVE_INFINITY,
    );
  });

  it('a spec bigger than its tensors, before building anything', () => {
    const spec = { layers: [{ dense: 2000000 }, 'relu', { dense: 10 }] };
    const bytes = craftCheckpoint([zeros('params/0.W', [784, 1]), zeros('params/0.b', [1, 1])], {
      ...manifestBase(),
      spec,
      params: {
        array: [
          { object: { W: ref('params/0.W', [784, 1]), b: ref('params/0.b', [1, 1]) } },
          { object: {} },
          { object: {} },
        ],
      },
    });
    expect(decodeError(bytes).message).toBe(
      'checkpoint: x: the model spec does not fit the stored parameters: params: 0.W: expected 784x2000000, got 784x1',
    );
  });

  it('__proto__ and constructor keys anywhere in the manifest', () => {
    const withKey = (params: unknown, meta: unknown = {}) =>
      craftCheckpoint([], { ...manifestBase(), params, meta });
    const protoParams =
      '{"format":"difftape-checkpoint","version":2,"dtype":"F64","meta":{},"params":{"object":{"__proto__":{"array":[]}}}}';
    expect(decodeError(craftCheckpoint([], protoParams)).message).toContain(
      'checkpoint: x: manifest: the key "__proto__" (at params.object.__proto__) is not allowed in a checkpoint',
    );
    const raw = craftCheckpoint(
      [],
      '{"format":"difftape-checkpoint","version":2,"dtype":"F64","meta":{"__proto__":{"polluted":1}},"params":{"array":[]}}',
    );
    expect(decodeError(raw).message).toContain('the key "__proto__" (at meta.__proto__)');
    expect(decodeError(withKey({ array: [] }, { a: { constructor: 1 } })).message).toContain(
      'the key "constructor" (at meta.a.constructor)',
    );
    expect(({} as { polluted?: number }).polluted).toBeUndefined();
  });

  it('a manifest nested deeper than 64 levels, without overflowing the stack', () => {
    const deep = `${'{"array":['.repeat(20000)}${']}'.repeat(20000)}`;
    const text = `{"format":"difftape-checkpoint","version":2,"dtype":"F64","meta":{},"params":${deep}}`;
    expect(decodeError(craftCheckpoint([], text)).message).toMatch(
      /^checkpoint: x: manifest: nested deeper than 64 levels \(at params(\.array(\.0)?)+\)$/,
    );
    const deepMeta = `{"format":"difftape-checkpoint","version":2,"dtype":"F64","meta":{"a":${'['.repeat(5000)}${']'.repeat(5000)}},"params":{"array":[]}}`;
    expect(decodeError(craftCheckpoint([], deepMeta)).message).toContain('nested deeper than 64');
  });

  const manifestCases: [string, unknown, string][] = [
    ['a format it does not know', { ...manifestBase(), format: 'other' }, 'format is "other"'],
    [
      'a newer version',
      { ...manifestBase(), version: 3 },
      'manifest version 3 is not supported (this reader reads versions 1 and 2)',
    ],
    [
      'a bad shape in the params tree',
      { ...manifestBase(), params: { object: { W: ref('params/W', [2] as never) } } },
      'params.object.W.shape: expected a shape [rows, cols], got [2]',
    ],
    [
      'an unknown dtype',
      { ...manifestBase(), dtype: 'F16' },
      'dtype: expected one of "F64", "F32", got "F16"',
    ],
    ['an unknown key', { ...manifestBase(), extra: 1 }, 'unknown key "extra"'],
    [
      'a missing params tree',
      { ...manifestBase(), params: undefined },
      'params: missing, expected a tensor node {"tensor", "shape"} or an array node {"array": [...]} or an object node {"object": {...}}',
    ],
    [
      'a bad spec',
      { ...manifestBase(), spec: { layers: ['gelu'] } },
      'spec.layers[0]: expected one of "relu"',
    ],
    [
      'a scalar in the params tree',
      { ...manifestBase(), params: { array: [{ number: 1 }] } },
      'params.array[0]: unknown key "number"',
    ],
    ['text that is not JSON', '{"format": ', 'not valid JSON: '],
    ['JSON that is not an object', '[1, 2]', 'expected a checkpoint manifest object, got [1,2]'],
  ];
  it.each(manifestCases)('a manifest with %s, with its path', (_name, manifest, message) => {
    const e = decodeError(craftCheckpoint([], manifest));
    expect(e).toBeInstanceOf(CheckpointError);
    expect(e.message).toContain(`checkpoint: x: manifest: ${message}`);
  });

  it('a header digest that is missing or malformed', () => {
    const text = JSON.stringify(manifestBase());
    const noDigest = encodeSafetensors([], { format: 'difftape-checkpoint', manifest: text });
    expect(decodeError(noDigest).message).toBe(
      "checkpoint: x: its header's SHA-256 is undefined, expected 64 hex digits",
    );
    expect(decodeError(craftCheckpoint([], manifestBase(), 'abc')).message).toBe(
      'checkpoint: x: its header\'s SHA-256 is "abc", expected 64 hex digits',
    );
  });

  it('a safetensors file that is no checkpoint, and a two-file one without its manifest', () => {
    expect(decodeError(encodeSafetensors([zeros('w', [1, 1])])).message).toBe(
      'checkpoint: x: not a difftape checkpoint: its safetensors header has no difftape manifest',
    );
    const legacy = encodeSafetensors([], { format: 'difftape-checkpoint' });
    expect(decodeError(legacy).message).toContain(
      'its header holds no manifest: it is a two-file checkpoint of an older version',
    );
    const other = encodeSafetensors([], { format: 'pt', manifest: '{}' });
    expect(decodeError(other).message).toBe(
      'checkpoint: x: not a difftape checkpoint: its header\'s format is "pt"',
    );
  });

  it('a tensor missing, unnamed, named twice, or of another shape or dtype', () => {
    const params = (...refs: unknown[]) => ({ ...manifestBase(), params: { array: refs } });
    const cases: [Uint8Array, string][] = [
      [
        craftCheckpoint(
          [zeros('params/W', [2, 2])],
          params(ref('params/W', [2, 2]), ref('params/b', [1, 2])),
        ),
        'tensor "params/b" (params.1) is named in the manifest but missing',
      ],
      [
        craftCheckpoint(
          [zeros('params/W', [2, 2]), zeros('opt/x', [1, 1])],
          params(ref('params/W', [2, 2])),
        ),
        'tensor "opt/x" not named in the manifest',
      ],
      [
        craftCheckpoint(
          [zeros('params/W', [1, 1])],
          params(ref('params/W', [1, 1]), ref('params/W', [1, 1])),
        ),
        'tensor "params/W" (params.1) is named twice in the manifest',
      ],
      [
        craftCheckpoint([zeros('params/W', [2, 3])], params(ref('params/W', [3, 2]))),
        'tensor "params/W" (params.0) has shape [2, 3], the manifest says [3, 2]',
      ],
      [
        craftCheckpoint([zeros('params/W', [1, 1], 'F32')], params(ref('params/W', [1, 1]))),
        'tensor "params/W" (params.0) is F32, the manifest says F64',
      ],
    ];
    for (const [bytes, message] of cases) {
      expect(decodeError(bytes).message).toBe(`checkpoint: x: ${message}`);
    }
  });

  it('meta that its codec rejects, in words', () => {
    const Meta = t.type({ epoch: NonNegativeInt, step: NonNegativeInt });
    const bytes = encodeCheckpoint({ params: [], meta: { epoch: -1 } });
    const e = decodeError(bytes, { meta: Meta });
    expect(e).toBeInstanceOf(CheckpointError);
    expect(e.message).toBe(
      'checkpoint: x: meta: epoch: expected a non-negative integer, got -1\ncheckpoint: x: meta: step: missing, expected a non-negative integer',
    );
    const good = decodeCheckpoint(encodeCheckpoint({ params: [], meta: { epoch: 2, step: 5 } }), {
      meta: Meta,
    });
    expect(good.meta.epoch + good.meta.step).toBe(7);
  });

  it('truncated or garbled bytes with a typed error', () => {
    const bytes = encodeCheckpoint(sample());
    for (const n of [0, 7, 8, 100, bytes.length - 1]) {
      const e = decodeError(bytes.subarray(0, n));
      expect(e instanceof SafetensorsError || e instanceof CheckpointError, e.message).toBe(true);
    }
  });
});

test.prop([fc.integer({ min: 1, max: 50 })], { numRuns: 10 })(
  'a spec-fitting checkpoint of any input width round-trips its spec',
  (inputs) => {
    const W = new Matrix(inputs, 3);
    const ckpt = {
      ...withSpec(),
      params: [
        { W, b: new Matrix(1, 3) },
        {},
        { W: new Matrix(3, 2), b: new Matrix(1, 2) },
      ] as Tree,
    };
    expect(decodeCheckpoint(encodeCheckpoint(ckpt)).spec).toEqual(withSpec().spec);
  },
);
