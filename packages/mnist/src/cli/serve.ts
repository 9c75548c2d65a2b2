import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { NumberKind } from '@difftape/nn';
import type { Command } from 'commander';
import { DEFAULT_PORT, startPadServer } from '../pad/server.js';
import { runFiles } from '../run/files.js';
import { numeric } from './flags.js';
import { fail } from './shared.js';

/** The checkpoint of the newest run folder under `root` (by the checkpoint's time), if any. */
export const newestCheckpoint = (root: string): string | undefined => {
  if (!existsSync(root)) return undefined;
  const found = readdirSync(root)
    .map((name) => runFiles(join(root, name)).checkpoint)
    .filter((file) => existsSync(file))
    .map((file) => ({ file, time: statSync(file).mtimeMs }));
  found.sort((a, b) => b.time - a.time || (a.file < b.file ? -1 : 1));
  return found[0]?.file;
};

/** `serve`: the digit pad, the model running in the browser. */
/** A TCP port; 0 lets the system pick one. */
const PORT: NumberKind = {
  name: 'an integer in 0..65535',
  ok: (n) => Number.isInteger(n) && n >= 0 && n <= 65535,
};

export const registerServe = (program: Command): void => {
  program
    .command('serve')
    .description(
      'Serve the digit pad on 127.0.0.1: draw a digit, see the ten probabilities. The model runs in the page.\n' +
        'Prints `serving http://127.0.0.1:PORT/` first; Ctrl-C stops it.',
    )
    .option('--params <file>', 'checkpoint.safetensors (default: the newest run under runs/)')
    .option('--port <n>', `port (default ${DEFAULT_PORT}, or the next free one; 0: any)`)
    .action(async (flags: { params?: string; port?: string }) => {
      const checkpoint = flags.params ?? newestCheckpoint('runs');
      if (checkpoint === undefined)
        fail(
          'no --params given and no run with a checkpoint under runs/: train one with `npx -y pnpm@12.21.0 mnist train` (a quick one: --epochs 3 --train-size 10000), or pass --params <checkpoint.safetensors>',
        );
      if (!existsSync(checkpoint!)) fail(`--params: no such file: ${checkpoint}`);
      let port = DEFAULT_PORT;
      if (flags.port !== undefined) {
        const n = numeric(flags.port);
        if (typeof n !== 'number' || !PORT.ok(n))
          fail(`--port: expected ${PORT.name}, got ${JSON.stringify(flags.port)}`);
        port = n as number;
      }
      const server = await startPadServer(checkpoint!, port, flags.port !== undefined);
      process.stdout.write(`serving ${server.url}\n`);
      process.stderr.write(
        `model: ${checkpoint}; page script: ${(server.bundleBytes / 1024).toFixed(1)} KiB (minified)\n`,
      );
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      await server.close();
    });
};
