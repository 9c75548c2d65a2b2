import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { codeBlocks } from './helpers/markdown.js';
import { REPO_ROOT } from './helpers/run-cli.js';

const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
const blocks = codeBlocks(readme);

describe('the README', () => {
  // examples.test.ts runs the programs; this keeps the README's copies of them exact.
  test('each TypeScript block is a whole program from examples/, introduced by a link to it', () => {
    const ts = blocks.filter((b) => b.lang === 'ts');
    expect(ts.length).toBeGreaterThanOrEqual(3);
    for (const b of ts) {
      const file = /\]\((examples\/[\w-]+\.ts)\)/.exec(b.intro)?.[1];
      expect(
        file,
        `README.md:${b.line}: introduce the block with a link to its examples/ file`,
      ).toBeDefined();
      expect(b.code, `README.md:${b.line} differs from ${file}`).toBe(
        readFileSync(join(REPO_ROOT, file!), 'utf8'),
      );
    }
  });

  // On a fresh machine with only node there is no `pnpm` on PATH: every command goes through npx.
  test('every pnpm command is spelled npx -y pnpm@12.21.0', () => {
    const commands = blocks
      .filter((b) => b.lang === 'sh')
      .flatMap((b) => b.code.split('\n'))
      .map((l) => l.trim())
      .filter((l) => l !== '' && !l.startsWith('#'));
    expect(commands.length).toBeGreaterThan(5);
    // A command may run in a package folder: `(cd packages/nn && npx -y pnpm@12.21.0 pack)`.
    for (const c of commands) expect(c, c).toMatch(/^(\(cd [\w./-]+ && )?npx -y pnpm@12\.21\.0 /);
    const bare = readme.split('\n').filter((l) => /(^|`|&& )pnpm\s/.test(l));
    expect(bare, 'lines with a bare `pnpm ...` command').toEqual([]);
  });
});
