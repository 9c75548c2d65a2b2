import fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fc, test } from '@fast-check/vitest';
import { afterAll, describe, expect, it } from 'vitest';
import {
  CheckpointError,
  decodeCheckpoint,
  encodeCheckpoint,
  type LoadedCheckpoint,
} from '../src/checkpoint.js';
import { loadCheckpoint } from '../src/checkpoint-file.js';
import {
  decodeSafetensors,
  encodeSafetensors,
  SafetensorsError,
  type TensorToWrite,
} from '../src/safetensors.js';
import { craftCheckpoint, expectSameTree, sample, withSpec } from './checkpoint-helpers.js';

/**
 * Fuzzing: every input the safetensors reader and the checkpoint loader can be handed ends in a
 * result or in a typed error (`SafetensorsError` / `CheckpointError`) whose message names the
 * input; never another exception, a stack overflow, a hang or a huge allocation. A mutated
 * checkpoint that still loads must load as the original (nothing silently different).
 */

/** Cases per property (FUZZ_RUNS overrides it for a longer local run). */
const RUNS = Number(process.env.FUZZ_RUNS ?? 1000);
const TIMEOUT = 120_000;

const isTyped = (e: unknown): e is Error =>
  e instanceof SafetensorsError || e instanceof CheckpointError;

/** Runs `f`; a typed error naming `what` is an outcome, anything else fails the property. */
const attempt = <T>(f: () => T, what: string): { ok: T } | { error: Error } => {
  try {
    return { ok: f() };
  } catch (e) {
    if (!isTyped(e)) throw e;
    expect(
      e.message.startsWith(`safetensors: ${what}: `) || e.message.startsWith(`checkpoint: ${what}`),
    ).toBe(true);
    return { error: e };
  }
};

const original = { ...withSpec(), optimiserState: sample().optimiserState };
const valid = encodeCheckpoint(original);
const expectSameAsOriginal = (loaded: LoadedCheckpoint) => {
  expectSameTree(loaded.params, original.params);
  expect(loaded.meta).toEqual(original.meta);
  expect(loaded.spec).toEqual(original.spec);
};

/** Edits of a byte string: overwrite, flip, insert, delete, truncate, or set the length field. */
const edit = (size: number) =>
  fc.oneof(
    fc.record({ kind: fc.constant('set' as const), at: fc.nat(size - 1), value: fc.nat(255) }),
    fc.record({ kind: fc.constant('flip' as const), at: fc.nat(size - 1), bit: fc.nat(7) }),
    fc.record({
      kind: fc.constant('insert' as const),
      at: fc.nat(size),
      bytes: fc.uint8Array({ maxLength: 16 }),
    }),
    fc.record({ kind: fc.constant('delete' as const), at: fc.nat(size), count: fc.nat(64) }),
    fc.record({ kind: fc.constant('truncate' as const), at: fc.nat(size) }),
    fc.record({
      kind: fc.constant('length' as const),
      value: fc.oneof(
        fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
        fc.bigInt({ min: 0n, max: BigInt(size) }),
      ),
    }),
  );
type Edit = typeof edit extends (n: number) => fc.Arbitrary<infer E> ? E : never;

const applyEdits = (bytes: Uint8Array, edits: readonly Edit[]): Uint8Array => {
  let out = bytes.slice();
  for (const e of edits) {
    const at = 'at' in e ? Math.min(e.at, out.length) : 0;
    if (e.kind === 'set' && at < out.length) out[at] = e.value;
    else if (e.kind === 'flip' && at < out.length) out[at]! ^= 1 << e.bit;
    else if (e.kind === 'insert')
      out = Uint8Array.from([...out.subarray(0, at), ...e.bytes, ...out.subarray(at)]);
    else if (e.kind === 'delete')
      out = Uint8Array.from([...out.subarray(0, at), ...out.subarray(at + e.count)]);
    else if (e.kind === 'truncate') out = out.slice(0, at);
    else if (e.kind === 'length' && out.length >= 8)
      new DataView(out.buffer).setBigUint64(0, e.value, true);
  }
  return out;
};

/** Mutations aimed at the header (where the parsing is), sometimes anywhere. */
const mutated = (bytes: Uint8Array) => {
  const headerEnd = 8 + Number(new DataView(bytes.buffer).getBigUint64(0, true));
  return fc
    .oneof(
      { weight: 3, arbitrary: fc.array(edit(headerEnd), { minLength: 1, maxLength: 4 }) },
      { weight: 1, arbitrary: fc.array(edit(bytes.length), { minLength: 1, maxLength: 4 }) },
    )
    .map((edits) => applyEdits(bytes, edits));
};

describe('fuzzing the safetensors reader', () => {
  const file = encodeSafetensors(
    [
      { name: 'a', dtype: 'F64', shape: [2, 3], data: Float64Array.from([1, 2, 3, 4, 5, 6]) },
      { name: 'b', dtype: 'F32', shape: [1, 2], data: Float64Array.from([7, 8]) },
    ] satisfies TensorToWrite[],
    { note: 'x' },
  );
  const checkDecoded = (bytes: Uint8Array) => {
    const result = attempt(() => decodeSafetensors(bytes, 'fuzz'), 'fuzz');
    if ('ok' in result) {
      // Whatever it accepted tiles the buffer exactly.
      let total = 0;
      for (const t of result.ok.tensors.values())
        total += t.data.length * (t.dtype === 'F64' ? 8 : 4);
      const n = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
      expect(8 + n + total).toBe(bytes.length);
    }
  };

  test.prop([mutated(file)], { numRuns: RUNS })('mutated files', checkDecoded, TIMEOUT);

  const entry = fc.record(
    {
      dtype: fc.oneof(fc.constantFrom('F64', 'F32', 'I8', 'BF16', ''), fc.jsonValue()),
      shape: fc.oneof(
        fc.array(fc.oneof(fc.nat(4), fc.integer(), fc.double(), fc.constant(2 ** 53)), {
          maxLength: 4,
        }),
        fc.jsonValue(),
      ),
      data_offsets: fc.oneof(
        fc.tuple(fc.nat(64), fc.nat(64)),
        fc.array(fc.integer()),
        fc.jsonValue(),
      ),
    },
    { requiredKeys: [] },
  );
  const header = fc.oneof(
    fc.dictionary(fc.oneof(fc.string(), fc.constantFrom('__metadata__', '__proto__')), entry, {
      maxKeys: 4,
    }),
    fc.jsonValue(),
  );
  test.prop([header, fc.nat(96)], { numRuns: RUNS })(
    'crafted headers over buffers of any size',
    (h, bufferBytes) => {
      const json = new TextEncoder().encode(JSON.stringify(h) ?? '');
      const bytes = new Uint8Array(8 + json.length + bufferBytes);
      new DataView(bytes.buffer).setBigUint64(0, BigInt(json.length), true);
      bytes.set(json, 8);
      checkDecoded(bytes);
    },
    TIMEOUT,
  );

  test.prop([fc.uint8Array({ maxLength: 64 })], { numRuns: RUNS })(
    'random bytes',
    checkDecoded,
    TIMEOUT,
  );
});

describe('fuzzing the checkpoint loader', () => {
  test.prop([mutated(valid)], { numRuns: RUNS })(
    'mutated checkpoint bytes load as the original or fail typed',
    (bytes) => {
      const result = attempt(() => decodeCheckpoint(bytes, { what: 'fuzz' }), 'fuzz');
      if ('ok' in result) expectSameAsOriginal(result.ok);
    },
    TIMEOUT,
  );

  const root = fs.mkdtempSync(join(tmpdir(), 'difftape-fuzz-'));
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));
  let count = 0;
  test.prop([mutated(valid)], { numRuns: RUNS })(
    'mutated checkpoint files load as the original or fail typed',
    (bytes) => {
      const path = join(root, `${count++ % 16}.safetensors`);
      fs.writeFileSync(path, bytes);
      const result = attempt(() => loadCheckpoint(path), path);
      if ('ok' in result) expectSameAsOriginal(result.ok);
    },
    TIMEOUT,
  );
});

describe('fuzzing manifests (re-hashed, so every one reaches validation)', () => {
  const tensors = (() => {
    const { tensors } = decodeSafetensors(valid, 'valid');
    return [...tensors].map(
      ([name, t]): TensorToWrite => ({ name, dtype: t.dtype, shape: t.shape, data: t.data }),
    );
  })();
  const manifest: unknown = JSON.parse(decodeSafetensors(valid, 'valid').metadata.manifest!);

  /** Every path (as keys) to a value inside `x`. */
  const paths = (x: unknown, at: (string | number)[] = [], out: (string | number)[][] = []) => {
    out.push(at);
    if (typeof x === 'object' && x !== null)
      for (const [k, v] of Object.entries(x))
        paths(v, [...at, Array.isArray(x) ? Number(k) : k], out);
    return out;
  };
  const all = paths(manifest);

  const hostile = fc.oneof(
    fc.jsonValue(),
    fc.constantFrom(
      JSON.parse('{"__proto__": {"polluted": true}}'),
      { constructor: { prototype: 1 } },
      { tensor: 'params/0.W', shape: [2, 3] },
      { tensor: 'params/0.W', shape: [1e9, 1e9] },
      { array: [] },
      { object: {} },
      { number: 'NaN' },
      { dense: 2_000_000 },
      Number.MAX_SAFE_INTEGER,
      -1,
    ),
    fc
      .integer({ min: 1, max: 300 })
      .map((depth) => JSON.parse(`${'['.repeat(depth)}${']'.repeat(depth)}`)),
  );
  const change = fc.record({
    path: fc.constantFrom(...all),
    action: fc.constantFrom('replace' as const, 'delete' as const, 'add' as const),
    key: fc.oneof(
      fc.string({ maxLength: 6 }),
      fc.constantFrom('__proto__', 'constructor', 'object'),
    ),
    value: hostile,
  });

  type Change = {
    path: (string | number)[];
    action: 'replace' | 'delete' | 'add';
    key: string;
    value: unknown;
  };
  const applyChange = (root: unknown, c: Change) => {
    const copy = JSON.parse(JSON.stringify(root));
    if (c.path.length === 0) return c.action === 'replace' ? c.value : copy;
    let parent = copy;
    for (const k of c.path.slice(0, -1)) {
      // An earlier change may have removed this path: then this change does nothing.
      if (typeof parent !== 'object' || parent === null) return copy;
      parent = parent[k];
    }
    if (typeof parent !== 'object' || parent === null) return copy;
    const last = c.path[c.path.length - 1]!;
    if (c.action === 'replace') parent[last] = c.value;
    else if (c.action === 'delete') {
      if (Array.isArray(parent)) parent.splice(Number(last), 1);
      else delete parent[last];
    } else if (typeof parent[last] === 'object' && parent[last] !== null) {
      Object.defineProperty(parent[last], c.key, {
        value: c.value,
        enumerable: true,
        writable: true,
      });
    }
    return copy;
  };

  test.prop([fc.array(change, { minLength: 1, maxLength: 3 })], { numRuns: RUNS })(
    'edited manifests load or fail typed, never a crash or a polluted prototype',
    (changes) => {
      const edited = changes.reduce(applyChange, manifest);
      const bytes = craftCheckpoint(tensors, JSON.stringify(edited) ?? 'null');
      const result = attempt(() => decodeCheckpoint(bytes, { what: 'fuzz' }), 'fuzz');
      expect(Object.prototype).not.toHaveProperty('polluted');
      if ('ok' in result) {
        // Anything that loads is a real checkpoint: finite parameters of the shapes it names.
        const again = decodeCheckpoint(encodeCheckpoint(result.ok as never));
        expectSameTree(again.params, result.ok.params);
      }
    },
    TIMEOUT,
  );
});

describe('fuzz regressions', () => {
  // Inputs from the reliability issue and from fuzzing runs, kept so they stay fixed.
  const cases: [string, () => Uint8Array][] = [
    [
      '20 000 nested arrays in the manifest',
      () =>
        craftCheckpoint(
          [],
          `{"format":"difftape-checkpoint","version":2,"dtype":"F64","meta":{},"params":${'{"array":['.repeat(20000)}${']}'.repeat(20000)}}`,
        ),
    ],
    [
      'a spec of dense 2 000 000 over 1x1 tensors',
      () =>
        craftCheckpoint(
          [{ name: 'params/0.W', dtype: 'F64', shape: [1, 1], data: new Float64Array(1) }],
          {
            format: 'difftape-checkpoint',
            version: 2,
            dtype: 'F64',
            meta: {},
            spec: { layers: [{ dense: 2000000 }] },
            params: { array: [{ object: { W: { tensor: 'params/0.W', shape: [1, 1] } } }] },
          },
        ),
    ],
    [
      'a header length of 2^64 - 1',
      () => {
        const b = valid.slice();
        new DataView(b.buffer).setBigUint64(0, 2n ** 64n - 1n, true);
        return b;
      },
    ],
    [
      '__proto__ in meta',
      () =>
        craftCheckpoint(
          [],
          '{"format":"difftape-checkpoint","version":2,"dtype":"F64","meta":{"__proto__":{"x":1}},"params":{"array":[]}}',
        ),
    ],
  ];
  it.each(cases)('%s fails typed', (_name, make) => {
    const result = attempt(() => decodeCheckpoint(make(), { what: 'fuzz' }), 'fuzz');
    expect('error' in result).toBe(true);
  });
});
