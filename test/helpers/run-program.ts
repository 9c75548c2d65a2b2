import { spawnSync } from 'node:child_process';
import { REPO_ROOT } from './run-cli.js';

/** Runs a TypeScript program as `pnpm example <file>` does, from the repository root and sources. */
export const runProgram = (file: string) =>
  spawnSync(process.execPath, ['--conditions=@difftape/source', '--import', 'tsx', file], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    env: { ...process.env, FORCE_COLOR: '0' },
  });

/** What a finished program printed, for an assertion message. */
export const describeRun = (
  name: string,
  r: { status: number | null; stdout: string; stderr: string },
): string => `${name} → exit ${r.status}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;
