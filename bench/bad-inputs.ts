/**
 * The peak memory of rejecting the worst bad inputs found for issue 9: each is written to a temp
 * folder and handed to the CLI under `/usr/bin/time -v`, which reports the process's maximum
 * resident set size. Every case must exit non-zero with a one-line error (no stack trace) and stay
 * under the budget; the script prints a table and exits 1 otherwise. Not a timed test: run it by
 * hand (`npx -y pnpm@12.21.0 example bench/bad-inputs.ts`), Linux only (GNU time).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deflateSync, gzipSync } from 'node:zlib';
import { IDX_FILES, MAX_IDX_BYTES } from '@difftape/mnist';
import { chunk, ihdr, pngOf } from '../packages/mnist/test/png-helpers.js';
import { writeImageLayout } from '../test/helpers/bad-data.js';

const BUDGET_MB = 400;
const ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));
const work = mkdtempSync(join(tmpdir(), 'difftape-bad-'));
const at = (...parts: string[]) => join(work, ...parts);

/** A big-endian IDX header for unsigned bytes. */
const idxHeader = (dims: number[]): Buffer => {
  const b = Buffer.alloc(4 + 4 * dims.length);
  b.set([0, 0, 8, dims.length]);
  for (const [i, d] of dims.entries()) b.writeUInt32BE(d, 4 + 4 * i);
  return b;
};

/**
 * A gzip file that inflates to `header` then `zeros` zero bytes, built from repeated members
 * (gunzip reads concatenated members as one stream), so making it costs nothing.
 */
const gzipBomb = (header: Buffer, zeros: number): Buffer => {
  const mib = gzipSync(Buffer.alloc(2 ** 20), { level: 9 });
  const whole = Math.floor(zeros / 2 ** 20);
  return Buffer.concat([
    gzipSync(header),
    ...Array.from({ length: whole }, () => mib),
    gzipSync(Buffer.alloc(zeros - whole * 2 ** 20)),
  ]);
};

/** An IDX folder whose training images are `images` (the other three files are tiny and valid). */
const idxDir = (name: string, images: Buffer): string => {
  const dir = at(name);
  mkdirSync(dir);
  writeFileSync(join(dir, IDX_FILES.train.images), images);
  writeFileSync(
    join(dir, IDX_FILES.train.labels),
    gzipSync(Buffer.concat([idxHeader([1]), Buffer.alloc(1)])),
  );
  writeFileSync(
    join(dir, IDX_FILES.test.images),
    gzipSync(Buffer.concat([idxHeader([1, 28, 28]), Buffer.alloc(784)])),
  );
  writeFileSync(
    join(dir, IDX_FILES.test.labels),
    gzipSync(Buffer.concat([idxHeader([1]), Buffer.alloc(1)])),
  );
  return dir;
};

/** An 8-bit grayscale PNG of `width` × `height` whose IDAT holds `pixelData`, deflated. */
const png = (width: number, height: number, pixelData: Buffer): Buffer =>
  pngOf(ihdr(width, height), chunk('IDAT', deflateSync(pixelData, { level: 9 })), chunk('IEND'));

/** The report's PNG layout in a new folder `name`, with `image` as its one image per split. */
const imageDir = (name: string, image: Buffer): string => {
  const dir = at(name);
  writeImageLayout(dir, image);
  return dir;
};

const small = ['--train-size', '1', '--test-size', '1', '--batch-size', '1', '--epochs', '1'];
const cases: { name: string; args: string[] }[] = [];
const add = (name: string, args: string[]) =>
  cases.push({ name, args: [...args, '--out', at(`out-${cases.length}`)] });

// The 1 MB gzip bomb that inflated to 2.2 GB: its header declares MNIST's 60000 x 28 x 28.
add('gzip bomb, header 60000x28x28, inflates to 2.2 GB', [
  'train',
  '--data',
  idxDir('bomb-mnist', gzipBomb(idxHeader([60000, 28, 28]), 2.2e9)),
  ...small,
]);
// The worst a bomb can do: a header declaring just under the limit, so that much is inflated.
const side = Math.floor(Math.sqrt((MAX_IDX_BYTES - 16) / 1));
add(`gzip bomb, header 1x${side}x${side} (the limit), inflates to 2.2 GB`, [
  'train',
  '--data',
  idxDir('bomb-limit', gzipBomb(idxHeader([1, side, side]), 2.2e9)),
  ...small,
]);
add('IDX header declaring 100000 x 100000 x 100000', [
  'train',
  '--data',
  idxDir('huge-dims', gzipSync(idxHeader([100000, 100000, 100000]))),
  ...small,
]);
const devZero = idxDir('dev-zero', Buffer.alloc(0));
rmSync(join(devZero, IDX_FILES.train.images));
symlinkSync('/dev/zero', join(devZero, IDX_FILES.train.images));
add('IDX file linked to /dev/zero', ['train', '--data', devZero, ...small]);
add('PNG declaring 16000 x 16000 pixels', [
  'train',
  '--format',
  'images',
  '--data',
  imageDir('png-huge', png(16000, 16000, Buffer.alloc(0))),
  ...small,
]);
add('28 x 28 PNG whose IDAT inflates to 1 GB', [
  'train',
  '--format',
  'images',
  '--data',
  imageDir('png-bomb', png(28, 28, Buffer.alloc(2 ** 30))),
  ...small,
]);
const sparse = imageDir('labels-sparse', png(28, 28, Buffer.alloc(28 * 29)));
truncateSync(join(sparse, 'labels', 'train_label.txt'), 2 ** 32);
add('4 GB (sparse) label file', ['train', '--format', 'images', '--data', sparse, ...small]);
writeFileSync(at('dense-2e6.json'), '{"layers":[{"dense":2000000},"relu",{"dense":10}]}');
add('--model {"dense": 2000000}', ['train', '--model', at('dense-2e6.json'), ...small]);
writeFileSync(at('deep.json'), `${'['.repeat(20000)}${']'.repeat(20000)}`);
add('--model nested 20 000 deep', ['train', '--model', at('deep.json'), ...small]);
symlinkSync('/dev/zero', at('zero.json'));
add('--model linked to /dev/zero', ['train', '--model', at('zero.json'), ...small]);

interface Outcome {
  name: string;
  code: number | null;
  rssMb: number;
  error: string;
  problems: string[];
}
const outcomes: Outcome[] = [];
for (const { name, args } of cases) {
  const r = spawnSync(
    '/usr/bin/time',
    [
      '-v',
      process.execPath,
      '--conditions=@difftape/source',
      '--import',
      'tsx',
      'packages/mnist/src/cli.ts',
      ...args,
    ],
    { cwd: ROOT, encoding: 'utf8', timeout: 300_000 },
  );
  // GNU time appends its report to the child's stderr; the child's exit code is its own.
  const [cliErr, timeReport = ''] = r.stderr.split(/\n(?=\tCommand being timed:)/);
  const kb = Number(
    /Maximum resident set size \(kbytes\): (\d+)/.exec(timeReport)?.[1] ?? Number.NaN,
  );
  const status = Number(/Exit status: (\d+)/.exec(timeReport)?.[1] ?? Number.NaN);
  const lines = (cliErr ?? '').split('\n').filter((l) => l.trim() !== '');
  const error = lines.find((l) => l.startsWith('error: ')) ?? lines.at(-1) ?? '';
  const problems: string[] = [];
  if (!(status > 0)) problems.push(`exit status ${status}`);
  if (/^\s+at /m.test(cliErr ?? '')) problems.push('a stack trace');
  if (!error.startsWith('error: ')) problems.push('no "error: " line');
  if (!(kb / 1024 < BUDGET_MB)) problems.push(`peak RSS ${(kb / 1024).toFixed(0)} MB`);
  outcomes.push({ name, code: status, rssMb: kb / 1024, error, problems });
}
rmSync(work, { recursive: true, force: true });

process.stdout.write(`| bad input | exit | peak RSS | message |\n| --- | ---: | ---: | --- |\n`);
for (const o of outcomes)
  process.stdout.write(
    `| ${o.name} | ${o.code} | ${o.rssMb.toFixed(0)} MB | ${o.error.replace(work, '<tmp>').replaceAll(work, '<tmp>').slice(0, 160)} |\n`,
  );
const worst = outcomes.reduce((a, b) => (b.rssMb > a.rssMb ? b : a));
process.stdout.write(
  `\nworst: ${worst.name}, ${worst.rssMb.toFixed(0)} MB (budget ${BUDGET_MB} MB)\n`,
);
const failed = outcomes.filter((o) => o.problems.length > 0);
for (const o of failed) process.stderr.write(`FAIL ${o.name}: ${o.problems.join('; ')}\n`);
process.exitCode = failed.length > 0 ? 1 : 0;
