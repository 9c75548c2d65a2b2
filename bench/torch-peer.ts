/**
 * PyTorch as a peer of bench/epoch.ts: torch_epoch.py in lockstep, one epoch per turn, so the two
 * take turns on the machine epoch by epoch and a load spike hits both (see torch_epoch.py).
 */
import { type ChildProcessWithoutNullStreams, spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const PYTHON = '/usr/bin/python3';
const script = fileURLToPath(new URL('torch_epoch.py', import.meta.url));

/** What torch_epoch.py reports at the end. */
export interface TorchResult {
  readonly secondsPerEpoch: number[];
  readonly evalSeconds: number;
  readonly testTop1: number;
}

/** A running torch_epoch.py: each call lets it take one turn. */
export interface TorchPeer {
  /** Runs one epoch; its seconds. */
  epoch(): Promise<number>;
  /** Runs the evaluation and ends the process; its report. */
  finish(): Promise<TorchResult>;
}

/** Whether /usr/bin/python3 has torch. */
export const hasTorch = (): boolean =>
  existsSync(PYTHON) && spawnSync(PYTHON, ['-c', 'import torch']).status === 0;

/** Starts torch_epoch.py on the data and spec and waits until it has warmed up. */
export const startTorch = async (
  dataDir: string,
  epochs: number,
  spec: unknown,
): Promise<TorchPeer> => {
  const child: ChildProcessWithoutNullStreams = spawn(
    PYTHON,
    [script, dataDir, String(epochs), JSON.stringify(spec)],
    // one thread: torch's own pool (set_num_threads) and the OpenBLAS / OpenMP pools under it
    { env: { ...process.env, OPENBLAS_NUM_THREADS: '1', OMP_NUM_THREADS: '1' } },
  );
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const next = async (): Promise<string> => {
    const { value, done } = await lines.next();
    if (done) throw new Error(`bench:epoch: torch_epoch.py stopped early:\n${stderr}`);
    return value;
  };
  const turn = async (): Promise<string> => {
    child.stdin.write('go\n');
    return next();
  };
  if ((await next()) !== 'ready') throw new Error('bench:epoch: torch_epoch.py did not say ready');
  return {
    epoch: async () => (JSON.parse(await turn()) as { seconds: number }).seconds,
    finish: async () => {
      const result = JSON.parse(await turn()) as TorchResult;
      child.stdin.end();
      return result;
    },
  };
};
