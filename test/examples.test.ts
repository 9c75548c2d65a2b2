import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { REPO_ROOT } from './helpers/run-cli.js';
import { describeRun, runProgram } from './helpers/run-program.js';

const EXAMPLES = join(REPO_ROOT, 'examples');
const programs = readdirSync(EXAMPLES).filter((f) => f.endsWith('.ts'));

// The root tsconfig includes examples/, so `typecheck` checks them; here each one runs to its end.
// Each program checks its own result and throws (exit code 1) when it is wrong.
describe('every program in examples/ runs', () => {
  test('there are examples', () => expect(programs.length).toBeGreaterThanOrEqual(3));
  test.each(programs)('examples/%s exits 0', (name) => {
    const r = runProgram(join(EXAMPLES, name));
    expect(r.status, describeRun(`examples/${name}`, r)).toBe(0);
    expect(r.stdout.trim()).not.toBe('');
  });
});
