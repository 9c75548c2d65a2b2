import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

/** A size budget, as tinygrad kept one: the core must stay small enough to read in an afternoon. */
const src = new URL('../src/', import.meta.url).pathname;
const lines = (file: string) => readFileSync(file, 'utf8').split('\n').length;
const files = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? files(join(dir, e.name)) : [join(dir, e.name)],
  );

describe('size budget', () => {
  it('the tape and its backward walk fit in about 150 lines', () => {
    expect(lines(join(src, 'tape.ts'))).toBeLessThanOrEqual(180);
  });

  // 2 500 until issue 11's convolution, pooling and shape ops (about 600 lines); 3 100 until
  // issue 12's flat storage and fused wasm kernels (the .wat source counts too); 3 400 until issue 8
  // moved checkParamShapes and the message helpers (describe.ts) here from nn (about 130). Issue 12's
  // absColumnSums, bias and transposition inside the wasm gemm (about 110) fit: 3 541 of 3 550.
  // 3 700 since issue 12's wasm relu and gatherBytes (about 100 lines with their JS references
  // and path switches; together about 9 % off an epoch and 20 % off the evaluation). 3 750 since
  // issue 12's wasm addScaledInto (about 50 lines with its JS reference: the optimiser's W1 update
  // 104 → 67 µs in pnpm bench). 3 800 since issue 12's run-skipping gemm compression (about 20
  // lines of .wat: layer 1 on MNIST rows 1.12–1.19× as fast) and the four-sum firstNonFinite
  // probe (about 15: twice as fast, and mnist's per-step check runs it on every parameter).
  it('all of core/src stays under 3 800 lines', () => {
    const total = files(src).reduce((n, f) => n + lines(f), 0);
    expect(total).toBeLessThanOrEqual(3800);
  });
});
