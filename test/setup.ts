import { Matrix } from 'ml-matrix';
import { expect } from 'vitest';

/** Options of `toBeAllclose`: |a − e| ≤ atol + rtol·|e| entrywise. */
interface AllcloseOptions {
  rtol?: number;
  atol?: number;
}

const asRows = (x: unknown): number[][] | undefined => {
  if (x instanceof Matrix) return x.to2DArray();
  if (typeof x === 'number') return [[x]];
  if (Array.isArray(x) && x.every((r) => Array.isArray(r))) return x as number[][];
  if (Array.isArray(x)) return [x as number[]];
  // ArrayBuffer.isView narrows only to ArrayBufferView, which TS does not know to be indexable.
  if (ArrayBuffer.isView(x)) return [Array.from(x as unknown as ArrayLike<number>)];
  return undefined;
};

expect.extend({
  toBeAllclose(received: unknown, expected: unknown, options: AllcloseOptions = {}) {
    const { rtol = 1e-7, atol = 1e-12 } = options;
    const a = asRows(received);
    const e = asRows(expected);
    if (!a || !e)
      return { pass: false, message: () => 'toBeAllclose: expected matrices, numbers or arrays' };
    if (a.length !== e.length || a.some((r, i) => r.length !== e[i]!.length)) {
      return {
        pass: false,
        message: () =>
          `toBeAllclose: shapes differ: ${a.length}x${a[0]?.length} vs ${e.length}x${e[0]?.length}`,
      };
    }
    for (let i = 0; i < a.length; i++) {
      for (let j = 0; j < a[i]!.length; j++) {
        const x = a[i]![j]!;
        const y = e[i]![j]!;
        const ok = x === y || Math.abs(x - y) <= atol + rtol * Math.abs(y);
        if (!ok) {
          return {
            pass: false,
            message: () =>
              `toBeAllclose: at [${i}, ${j}] got ${x}, expected ${y} (rtol ${rtol}, atol ${atol})`,
          };
        }
      }
    }
    return { pass: true, message: () => 'expected values not to be allclose' };
  },
});

declare module 'vitest' {
  // biome-ignore lint/suspicious/noExplicitAny: must match vitest's declaration
  interface Matchers<T = any> {
    toBeAllclose(expected: unknown, options?: AllcloseOptions): T;
  }
}
