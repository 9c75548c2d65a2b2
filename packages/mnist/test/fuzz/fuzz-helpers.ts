import { fc } from '@fast-check/vitest';
import { expect } from 'vitest';
import { DataError } from '../../src/data-error.js';

/** What the mnist fuzz tests share: the run count, byte mutations, and the outcome check. */

/** Cases per property (FUZZ_RUNS overrides it for a longer local run). */
export const RUNS = Number(process.env.FUZZ_RUNS ?? 1000);
export const TIMEOUT = 120_000;

/**
 * Runs `f`; a `DataError` whose message starts with `prefix` is an outcome (returned), anything
 * else thrown fails the property.
 */
export const attempt = <T>(f: () => T, prefix: string): { ok: T } | { error: string } => {
  try {
    return { ok: f() };
  } catch (e) {
    if (!(e instanceof DataError)) throw e;
    expect(e.message.startsWith(prefix), e.message).toBe(true);
    return { error: e.message };
  }
};

/** Edits of a byte string: overwrite, flip, insert, delete or truncate. */
const edit = (size: number) =>
  fc.oneof(
    fc.record({ kind: fc.constant('set' as const), at: fc.nat(size), value: fc.nat(255) }),
    fc.record({ kind: fc.constant('flip' as const), at: fc.nat(size), bit: fc.nat(7) }),
    fc.record({
      kind: fc.constant('insert' as const),
      at: fc.nat(size),
      bytes: fc.uint8Array({ maxLength: 16 }),
    }),
    fc.record({ kind: fc.constant('delete' as const), at: fc.nat(size), count: fc.nat(64) }),
    fc.record({ kind: fc.constant('truncate' as const), at: fc.nat(size) }),
  );
type Edit = typeof edit extends (n: number) => fc.Arbitrary<infer E> ? E : never;

const applyEdit = (bytes: Uint8Array, e: Edit): Uint8Array => {
  const at = Math.min(e.at, bytes.length);
  if (e.kind === 'set' && at < bytes.length) bytes[at] = e.value;
  else if (e.kind === 'flip' && at < bytes.length) bytes[at]! ^= 1 << e.bit;
  else if (e.kind === 'insert')
    return Uint8Array.from([...bytes.subarray(0, at), ...e.bytes, ...bytes.subarray(at)]);
  else if (e.kind === 'delete')
    return Uint8Array.from([...bytes.subarray(0, at), ...bytes.subarray(at + e.count)]);
  else if (e.kind === 'truncate') return bytes.slice(0, at);
  return bytes;
};

/**
 * `bytes` with 1 to 4 edits, mostly within the first `focus` bytes (where the parsing is),
 * sometimes anywhere.
 */
export const mutated = (bytes: Uint8Array, focus = bytes.length) =>
  fc
    .oneof(
      {
        weight: 3,
        arbitrary: fc.array(edit(Math.min(focus, bytes.length)), { minLength: 1, maxLength: 4 }),
      },
      { weight: 1, arbitrary: fc.array(edit(bytes.length), { minLength: 1, maxLength: 4 }) },
    )
    .map((edits) => edits.reduce(applyEdit, bytes.slice()));
