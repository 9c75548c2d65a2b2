import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root: where `pnpm mnist` runs from. */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** The root package.json's `mnist` script split into words: what `pnpm mnist` runs. */
const mnistScript = (): string[] => {
  const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as {
    scripts?: Record<string, string>;
  };
  const script = pkg.scripts?.mnist;
  if (!script) throw new Error(`${REPO_ROOT}/package.json has no "mnist" script`);
  return script.trim().split(/\s+/);
};

/** The binaries pnpm puts first on PATH for a script. */
const BIN = join(REPO_ROOT, 'node_modules/.bin');

/** How a CLI process ended and what it printed. */
export interface CliResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Options of `startCli` / `runCli`. */
export interface CliOptions {
  /** Kill the process group (SIGKILL) after this many ms; the result then has signal 'SIGKILL'. */
  readonly timeoutMs?: number;
  /** Extra environment variables (e.g. NODE_OPTIONS for a preload). */
  readonly env?: Readonly<Record<string, string>>;
}

/** A running CLI process: its output so far, a way to wait for a line, and its end. */
export interface RunningCli {
  readonly child: ChildProcess;
  /** Sends SIGINT to the whole process group, as Ctrl-C in a terminal does. */
  readonly interrupt: () => void;
  readonly stdout: () => string;
  readonly stderr: () => string;
  /** Resolves once stderr matches `pattern`; rejects if the process ends first. */
  readonly waitForStderr: (pattern: RegExp) => Promise<void>;
  readonly done: Promise<CliResult>;
}

/**
 * Starts the CLI as `pnpm mnist ...args` does (the root package.json's `mnist` script, from the
 * repository root, node_modules/.bin first on PATH), in its own process group, output piped (so
 * progress comes as plain lines).
 */
export const startCli = (args: readonly string[], options: CliOptions = {}): RunningCli => {
  const [command, ...scriptArgs] = mnistScript();
  const local = join(BIN, command!);
  const child = spawn(existsSync(local) ? local : command!, [...scriptArgs, ...args], {
    cwd: REPO_ROOT,
    env: {
      ...process.env,
      PATH: `${BIN}:${process.env.PATH ?? ''}`,
      FORCE_COLOR: '0',
      DIFFTAPE_DEBUG: '',
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const signalGroup = (signal: NodeJS.Signals): void => {
    try {
      process.kill(-child.pid!, signal);
    } catch {
      // The group is gone already.
    }
  };
  let out = '';
  let err = '';
  const waiters: { pattern: RegExp; resolve: () => void }[] = [];
  child.stdout!.setEncoding('utf8').on('data', (d: string) => {
    out += d;
  });
  child.stderr!.setEncoding('utf8').on('data', (d: string) => {
    err += d;
    for (const w of waiters.splice(0)) {
      if (w.pattern.test(err)) w.resolve();
      else waiters.push(w);
    }
  });
  const timer =
    options.timeoutMs === undefined
      ? undefined
      : setTimeout(() => signalGroup('SIGKILL'), options.timeoutMs);
  const done = new Promise<CliResult>((resolveDone, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolveDone({ code, signal, stdout: out, stderr: err });
    });
  });
  const waitForStderr = (pattern: RegExp): Promise<void> =>
    pattern.test(err)
      ? Promise.resolve()
      : new Promise<void>((res, rej) => {
          waiters.push({ pattern, resolve: res });
          done.then((r) =>
            rej(
              new Error(
                `the CLI ended (code ${r.code}) before stderr matched ${pattern}; stderr:\n${r.stderr}`,
              ),
            ),
          );
        });
  return {
    child,
    interrupt: () => signalGroup('SIGINT'),
    stdout: () => out,
    stderr: () => err,
    waitForStderr,
    done,
  };
};

/** Runs the CLI to its end. */
export const runCli = (args: readonly string[], options: CliOptions = {}): Promise<CliResult> =>
  startCli(args, options).done;

/** A fresh temporary folder and a function that removes it. */
export const tempDir = (): { dir: string; cleanup: () => void } => {
  const dir = mkdtempSync(join(tmpdir(), 'difftape-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
};

/** The text of a CLI result, for an assertion message. */
export const describeResult = (args: readonly string[], r: CliResult): string =>
  `mnist ${args.join(' ')} → code ${r.code}${r.signal ? ` (${r.signal})` : ''}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;
