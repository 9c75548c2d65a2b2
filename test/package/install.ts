import { execFileSync } from 'node:child_process';
import {
  cpSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root. */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** The packages a user installs, in dependency order. */
export const PACKAGES = ['core', 'nn', 'mnist'] as const;

/** Runs a command to its end; on failure the error carries its output. */
export const run = (command: string, args: readonly string[], cwd: string): string => {
  try {
    return execFileSync(command, args, {
      cwd,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      maxBuffer: 64 * 1024 * 1024,
      env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' },
    });
  } catch (e) {
    const { stdout, stderr } = e as { stdout?: string; stderr?: string };
    throw new Error(
      `${command} ${args.join(' ')} (in ${cwd}) failed:\n${stdout ?? ''}\n${stderr ?? ''}`,
    );
  }
};

const pnpm = (args: readonly string[], cwd: string): string =>
  run('npx', ['-y', 'pnpm@12.21.0', ...args], cwd);

/** A packed package: its tarball's path and size. */
export interface Tarball {
  readonly name: string;
  readonly path: string;
  readonly bytes: number;
}

/** A user's project outside the workspace with the packed tarballs installed by plain npm. */
export interface UserProject {
  readonly dir: string;
  readonly tarballs: readonly Tarball[];
  readonly cleanup: () => void;
}

/**
 * Builds and packs every package (`pnpm pack` rewrites `workspace:*`), then `npm install`s the
 * tarballs into a fresh folder under the system temp dir with the files of `consumer/`.
 */
export const installAsUser = (extraDependencies: Record<string, string>): UserProject => {
  const root = mkdtempSync(join(tmpdir(), 'difftape-user-'));
  const packs = join(root, 'tarballs');
  mkdirSync(packs);
  pnpm(['build'], REPO_ROOT);
  for (const name of PACKAGES)
    pnpm(['pack', '--pack-destination', packs], join(REPO_ROOT, 'packages', name));
  const tarballs = readdirSync(packs).map((file) => ({
    name: file,
    path: join(packs, file),
    bytes: statSync(join(packs, file)).size,
  }));
  const dir = join(root, 'project');
  cpSync(join(REPO_ROOT, 'test/package/consumer'), dir, { recursive: true });
  const dependencies = Object.fromEntries(
    PACKAGES.map((name) => {
      const tarball = tarballs.find((t) => t.name.startsWith(`difftape-${name}-`));
      if (!tarball) throw new Error(`pnpm pack wrote no tarball for @difftape/${name} in ${packs}`);
      return [`@difftape/${name}`, `file:${tarball.path}`];
    }),
  );
  writeFileSync(
    join(dir, 'package.json'),
    `${JSON.stringify({ name: 'difftape-user', private: true, type: 'module', dependencies: { ...dependencies, ...extraDependencies } }, null, 2)}\n`,
  );
  run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error'], dir);
  return { dir, tarballs, cleanup: () => rmSync(root, { recursive: true, force: true }) };
};
