import { Matrix, shapeString } from './matrix.js';
import { Traced } from './tape.js';

/** Whether x is a plain object (its prototype is Object.prototype): a tree's record node. */
export const isPlainObject = (x: unknown): x is Record<string, unknown> =>
  typeof x === 'object' && x !== null && Object.getPrototypeOf(x) === Object.prototype;

/**
 * What a value is, for messages: `a 2x3 matrix`, `a traced 2x3 matrix`, `an array of 4`,
 * `an object`, `null`, `undefined`, `a Set`, `a number`.
 */
export const describeValue = (x: unknown): string =>
  x instanceof Matrix
    ? `a ${shapeString(x)} matrix`
    : x instanceof Traced
      ? `a traced ${shapeString(x)} matrix`
      : Array.isArray(x)
        ? `an array of ${x.length}`
        : isPlainObject(x)
          ? 'an object'
          : x === null || x === undefined
            ? `${x}`
            : typeof x === 'object'
              ? `a ${x.constructor?.name ?? 'non-plain object'}`
              : `a ${typeof x}`;

/**
 * JSON text of `value`, cut once it passes `limit` characters. Each level of nesting writes at least
 * one character, so the recursion stops with the budget: no stack overflow on deep or cyclic values.
 */
const boundedJson = (value: unknown, limit: number): string => {
  let out = '';
  const put = (v: unknown): void => {
    if (Array.isArray(v)) {
      out += '[';
      for (let i = 0; i < v.length && out.length <= limit; i++) {
        if (i > 0) out += ',';
        put(v[i]);
      }
      out += ']';
    } else if (typeof v === 'object' && v !== null) {
      out += '{';
      let first = true;
      for (const [k, x] of Object.entries(v)) {
        if (out.length > limit) break;
        out += `${first ? '' : ','}${JSON.stringify(k)}:`;
        first = false;
        put(x);
      }
      out += '}';
    } else out += JSON.stringify(v) ?? 'null';
  };
  put(value);
  return out;
};

/** A value itself, shortened to 60 characters, for messages: `-0`, `"fast"`, `{"hi":1}`. */
export const showValue = (value: unknown): string => {
  if (typeof value === 'number') return Object.is(value, -0) ? '-0' : String(value);
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'symbol') return value.toString();
  if (value === undefined) return 'undefined';
  let s: string;
  try {
    s = JSON.stringify(value) ?? String(value);
  } catch {
    // Too deep for JSON.stringify's recursion, or cyclic: the first characters are enough.
    s = boundedJson(value, 60);
  }
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
};
