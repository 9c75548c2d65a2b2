import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { codeBlocks } from './helpers/markdown.js';
import { REPO_ROOT } from './helpers/run-cli.js';
import { describeRun, runProgram } from './helpers/run-program.js';

// The tutorial's TypeScript blocks, in order, are one program. It is written inside the repository
// (an ignored cache folder) so that `@difftape/*` resolve as they do for the examples.
const OUT = join(REPO_ROOT, 'node_modules/.cache/difftape-tutorial');
const blocks = codeBlocks(readFileSync(join(REPO_ROOT, 'docs/tutorial.md'), 'utf8')).filter(
  (b) => b.lang === 'ts',
);
const program = blocks.map((b) => `// docs/tutorial.md:${b.line}\n${b.code}`).join('\n');

describe("docs/tutorial.md's code blocks, as one program", () => {
  mkdirSync(OUT, { recursive: true });
  writeFileSync(join(OUT, 'tutorial.ts'), program);
  writeFileSync(
    join(OUT, 'tsconfig.json'),
    JSON.stringify({ extends: '../../../tsconfig.json', include: ['tutorial.ts'] }),
  );

  test('there are blocks for each step: op, checkGrad, spec, training, saving', () => {
    for (const name of ['defineOp', 'checkGrad', 'modelFromSpec', 'makeStep', 'saveCheckpoint'])
      expect(program).toContain(name);
  });

  test('type-check under the repository tsconfig (strict)', () => {
    const tsc = join(REPO_ROOT, 'node_modules/typescript/bin/tsc');
    const r = spawnSync(process.execPath, [tsc, '--noEmit', '-p', join(OUT, 'tsconfig.json')], {
      encoding: 'utf8',
    });
    expect(r.status, describeRun('tsc', r)).toBe(0);
  });

  test('run to the end', () => {
    const r = runProgram(join(OUT, 'tutorial.ts'));
    expect(r.status, describeRun('docs/tutorial.md', r)).toBe(0);
    expect(r.stdout).toContain('the predictions are identical');
  });
});
