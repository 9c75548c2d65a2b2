/**
 * The MNIST CLI end to end, through real child processes (`tsx packages/mnist/src/cli.ts`, as
 * `pnpm mnist` runs it): training output and run folder, an accuracy floor, determinism, eval,
 * interrupt and resume, the PNG-folder path, report, and one-line errors on bad input.
 * Runs train on small subsets and starts independent processes together to stay near a minute.
 */
import { spawn } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { loadCheckpoint } from '@difftape/nn/node';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { IDX_FILES } from '../packages/mnist/src/data.js';
import { encodeIdx } from '../packages/mnist/src/idx.js';
import { CONFIG_FIELDS, reportConfig } from '../packages/mnist/src/run/config.js';
import { hugeIhdrPng, tinyIdxFiles, writeIdxDir, writeImageLayout } from './helpers/bad-data.js';
import {
  type CliResult,
  describeResult,
  REPO_ROOT,
  runCli,
  startCli,
  tempDir,
} from './helpers/run-cli.js';

const TIMEOUT = 120_000;

/** The final metrics of one split, as `--json` and metrics.jsonl hold them. */
interface SplitMetrics {
  loss: number;
  top1: number;
  oneVsRestError: number[];
  oneVsRestAccuracy: number[];
}
interface Summary {
  train: SplitMetrics;
  test: SplitMetrics;
  params: string;
}
interface EpochLine {
  epoch: number;
  seconds?: number;
  steps: number;
  train: SplitMetrics;
  test: SplitMetrics;
}

const ok = (args: readonly string[], r: CliResult): void => {
  expect(r.code, describeResult(args, r)).toBe(0);
};

/** Runs the CLI and expects exit 0. */
const run = async (args: string[]): Promise<CliResult> => {
  const r = await runCli(args, { timeoutMs: TIMEOUT });
  ok(args, r);
  return r;
};

const readLines = (file: string): string[] =>
  readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '');

/** metrics.jsonl with the wall-clock `seconds` field dropped: what must repeat bit for bit. */
const metricsWithoutTime = (runDir: string): EpochLine[] =>
  readLines(join(runDir, 'metrics.jsonl')).map((l) => {
    const { seconds: _, ...rest } = JSON.parse(l) as EpochLine;
    return rest;
  });

const lastMetrics = (runDir: string): EpochLine => metricsWithoutTime(runDir).at(-1)!;

/** The per-digit table and the notes under it, from the first header line to before the file lines. */
const tableOf = (stdout: string): string => {
  const lines = stdout.split('\n');
  const start = lines.findIndex((l) => l.startsWith('item name'));
  expect(start, `no table in:\n${stdout}`).toBeGreaterThanOrEqual(0);
  const rest = lines.slice(start);
  const end = rest.findIndex((l) => /^(parameters:|wrote )/.test(l));
  return (end < 0 ? rest : rest.slice(0, end)).join('\n').trim();
};

const checkSplit = (s: SplitMetrics, where: string): void => {
  expect(Number.isFinite(s.loss), `${where}.loss`).toBe(true);
  expect(s.top1, `${where}.top1`).toBeGreaterThanOrEqual(0);
  expect(s.top1, `${where}.top1`).toBeLessThanOrEqual(1);
  expect(s.oneVsRestError, `${where}.oneVsRestError`).toHaveLength(10);
  for (const e of s.oneVsRestError) expect(typeof e === 'number' && e >= 0 && e <= 1).toBe(true);
  // Every misclassified sample counts in exactly two digits' one-vs-rest error.
  const meanError = s.oneVsRestError.reduce((a, b) => a + b, 0) / 10;
  expect(meanError).toBeCloseTo((2 * (1 - s.top1)) / 10, 12);
};

const bytes = (file: string): Buffer => readFileSync(file);

describe('mnist CLI', () => {
  const tmp = tempDir();
  afterAll(tmp.cleanup);
  const dir = (...parts: string[]): string => join(tmp.dir, ...parts);

  // Shared runs: A (--json) and B (table on stdout) with the same seed, C with another seed.
  // 2 epochs on 6000 samples, the whole test set, is what the accuracy floor below is measured on.
  const sixK = ['train', '--epochs', '2', '--train-size', '6000'];
  const argsA = [...sixK, '--seed', '0', '--out', dir('a'), '--json'];
  const argsB = [...sixK, '--seed', '0', '--out', dir('b')];
  const argsC = [...sixK, '--seed', '1', '--out', dir('c'), '--no-report', '--json'];
  let a: CliResult;
  let b: CliResult;
  beforeAll(async () => {
    const results = await Promise.all([argsA, argsB, argsC].map((args) => run(args)));
    [a, b] = results as [CliResult, CliResult, CliResult];
  }, 3 * TIMEOUT);

  test('train --json prints both splits and a checkpoint, and fills the run folder', () => {
    const summary = JSON.parse(a.stdout) as Summary;
    checkSplit(summary.train, 'train');
    checkSplit(summary.test, 'test');
    expect(summary.params).toBe(dir('a', 'checkpoint.safetensors'));
    expect(existsSync(summary.params)).toBe(true);

    for (const f of [
      'config.json',
      'metrics.jsonl',
      'checkpoint.safetensors',
      'report.md',
      'report.html',
    ]) {
      expect(existsSync(dir('a', f)), f).toBe(true);
      expect(statSync(dir('a', f)).size, f).toBeGreaterThan(0);
    }
    const svgs = readdirSync(dir('a', 'plots')).filter((f) => f.endsWith('.svg'));
    expect(svgs.length).toBeGreaterThan(0);
    for (const f of svgs) expect(readFileSync(dir('a', 'plots', f), 'utf8')).toContain('<svg');
    // One checkpoint file: the manifest lives in its header.
    expect(existsSync(dir('a', 'checkpoint.json'))).toBe(false);

    const config = JSON.parse(readFileSync(dir('a', 'config.json'), 'utf8'));
    expect(config).toMatchObject({ epochs: 2, trainSize: 6000, testSize: 10_000, seed: 0 });
    const lines = metricsWithoutTime(dir('a'));
    expect(lines.map((l) => l.epoch)).toEqual([0, 1, 2]); // epochs + 1: epoch 0 is before training
    expect(lines.map((l) => l.steps)).toEqual([0, 120, 240]); // 6000 / 50 steps per epoch
    expect({ train: summary.train, test: summary.test }).toEqual({
      train: lines[2]!.train,
      test: lines[2]!.test,
    });
    // Progress goes to stderr, one line per epoch when not on a terminal.
    expect(a.stderr).toMatch(/epoch 2\/2/);
    // --no-report skips the report.
    expect(existsSync(dir('c', 'report.md'))).toBe(false);
    expect(existsSync(dir('c', 'checkpoint.safetensors'))).toBe(true);
  });

  test("the report's recipe learns: test top-1 after 2 epochs on 6000 samples is far above chance", () => {
    // Measured (10 000 test samples): test top-1 0.871 for seed 0, 0.858-0.875 over seeds 0-7;
    // train 0.877-0.898; final train loss 0.41-0.42. A broken gradient or optimiser stays near
    // 0.1; the floor leaves room for small numerical changes (init, summation order).
    const [first, last] = [metricsWithoutTime(dir('a'))[0]!, lastMetrics(dir('a'))];
    expect(last.test.top1).toBeGreaterThanOrEqual(0.8);
    expect(last.train.top1).toBeGreaterThanOrEqual(0.8);
    expect(first.test.top1).toBeLessThan(0.3); // untrained: the floor is the training's doing
    expect(last.train.loss).toBeLessThan(0.6); // measured 0.40-0.42; ln 10 ≈ 2.30 at the start
    expect(last.train.loss).toBeLessThan(first.train.loss / 3);
  });

  test('the same seed gives bit-identical metrics and checkpoints; another seed does not', () => {
    expect(metricsWithoutTime(dir('b'))).toEqual(metricsWithoutTime(dir('a')));
    expect(
      bytes(dir('b', 'checkpoint.safetensors')).equals(bytes(dir('a', 'checkpoint.safetensors'))),
    ).toBe(true);
    expect(metricsWithoutTime(dir('c'))[0]).not.toEqual(metricsWithoutTime(dir('a'))[0]);
    expect(lastMetrics(dir('c'))).not.toEqual(lastMetrics(dir('a')));
    expect(
      bytes(dir('c', 'checkpoint.safetensors')).equals(bytes(dir('a', 'checkpoint.safetensors'))),
    ).toBe(false);
  });

  test(
    'eval reproduces the final metrics bit for bit and prints the same table as train',
    async () => {
      const params = dir('a', 'checkpoint.safetensors');
      const [json, plain] = await Promise.all([
        run(['eval', '--params', params, '--json']),
        run(['eval', '--params', params]),
      ]);
      const summary = JSON.parse(json.stdout) as Summary;
      const last = lastMetrics(dir('a'));
      expect(summary.train).toEqual(last.train);
      expect(summary.test).toEqual(last.test);
      expect(tableOf(plain.stdout)).toBe(tableOf(b.stdout));
      expect(tableOf(b.stdout)).toMatch(/Test Acc/);
    },
    TIMEOUT,
  );

  test(
    'report regenerates report.md, report.html and the plots, and prints the table',
    async () => {
      const runDir = dir('b');
      for (const f of ['report.md', 'report.html', 'plots'])
        rmSync(join(runDir, f), { recursive: true });
      const r = await run(['report', runDir]);
      expect(statSync(join(runDir, 'report.md')).size).toBeGreaterThan(0);
      expect(statSync(join(runDir, 'report.html')).size).toBeGreaterThan(0);
      expect(
        readdirSync(join(runDir, 'plots')).filter((f) => f.endsWith('.svg')).length,
      ).toBeGreaterThan(0);
      expect(tableOf(r.stdout)).toBe(tableOf(b.stdout));
    },
    TIMEOUT,
  );

  test(
    'Ctrl-C saves a resumable checkpoint; --resume ends bit-identical to an uninterrupted run',
    async () => {
      // 60 steps per epoch; the signal goes out right after the epoch-0 line, so two full epochs
      // of steps remain to catch it in.
      const flags = ['--epochs', '2', '--train-size', '3000', '--test-size', '1000', '--no-report'];
      const whole = dir('whole');
      const cut = dir('cut');
      const interrupted = startCli(['train', ...flags, '--out', cut], { timeoutMs: TIMEOUT });
      const uninterrupted = run(['train', ...flags, '--out', whole, '--json']);
      await interrupted.waitForStderr(/^epoch 0\/2/m);
      interrupted.interrupt(); // Ctrl-C: SIGINT to the whole process group
      const stopped = await interrupted.done;

      // The interruption really happened: exit 130, a message saying how to resume.
      expect(stopped.code, describeResult(['train', '(SIGINT)'], stopped)).toBe(130);
      expect(stopped.stderr).toContain(`npx -y pnpm@12.21.0 mnist train --resume ${cut}`);
      expect(stopped.stderr).not.toMatch(/^\s+at /m);
      const saved = loadCheckpoint(join(cut, 'checkpoint.safetensors'));
      const meta = saved.meta as { epoch: number; stepInEpoch: number; step: number };
      expect(meta.step).toBeGreaterThan(0);
      expect(meta.step).toBeLessThan(120);
      expect(meta.epoch * 60 + meta.stepInEpoch).toBe(meta.step);
      expect(metricsWithoutTime(cut).length).toBe(meta.epoch + 1);

      const resumedArgs = ['train', '--resume', cut, '--json', '--no-report'];
      const resumed = await run(resumedArgs);
      expect(resumed.stderr).toMatch(/resuming after epoch/);
      await uninterrupted;
      expect(
        bytes(join(cut, 'checkpoint.safetensors')).equals(
          bytes(join(whole, 'checkpoint.safetensors')),
        ),
      ).toBe(true);
      expect(metricsWithoutTime(cut)).toEqual(metricsWithoutTime(whole));
      const final = JSON.parse(resumed.stdout) as Summary;
      expect(final.test).toEqual(lastMetrics(whole).test);
    },
    TIMEOUT,
  );

  test(
    "export-images writes the report's layout; train --format images and predict read it",
    async () => {
      const images = dir('images');
      await run(['export-images', images, '--limit', '20']);
      expect(
        readdirSync(join(images, 'train_data')).filter((f) => f.endsWith('.png')),
      ).toHaveLength(20);
      expect(readdirSync(join(images, 'test_data')).filter((f) => f.endsWith('.png'))).toHaveLength(
        20,
      );

      const runDir = dir('from-images');
      const trained = await run([
        'train',
        '--format',
        'images',
        '--data',
        images,
        '--epochs',
        '1',
        '--train-size',
        '20',
        '--test-size',
        '20',
        '--batch-size',
        '10',
        '--json',
        '--out',
        runDir,
      ]);
      const summary = JSON.parse(trained.stdout) as Summary;
      checkSplit(summary.test, 'test');
      expect(metricsWithoutTime(runDir).map((l) => l.steps)).toEqual([0, 2]);

      const pngs = [join(images, 'test_data', '00000.png'), join(images, 'test_data', '00001.png')];
      const [json, plain] = await Promise.all([
        run(['predict', '--params', summary.params, ...pngs, '--json']),
        run(['predict', '--params', summary.params, ...pngs]),
      ]);
      const predictions = JSON.parse(json.stdout) as {
        file: string;
        digit: number;
        probabilities: number[];
      }[];
      expect(predictions.map((p) => p.file)).toEqual(pngs);
      for (const p of predictions) {
        expect(Number.isInteger(p.digit) && p.digit >= 0 && p.digit <= 9).toBe(true);
        expect(p.probabilities).toHaveLength(10);
        for (const q of p.probabilities) expect(q >= 0 && q <= 1).toBe(true);
        expect(p.probabilities.reduce((s, q) => s + q, 0)).toBeCloseTo(1, 12);
        expect(p.probabilities[p.digit]).toBe(Math.max(...p.probabilities));
      }
      const lines = plain.stdout.split('\n').filter((l) => l.trim() !== '');
      expect(lines).toHaveLength(2);
      lines.forEach((line, i) => {
        expect(line.startsWith(pngs[i]!)).toBe(true);
        expect(line).toContain(`: ${predictions[i]!.digit}`);
      });
    },
    TIMEOUT,
  );

  test(
    'bad input: one error line naming the flag and the value, no stack, no run folder',
    async () => {
      const bad = dir('bad');
      mkdirSync(join(bad, 'empty'), { recursive: true });
      const badModel = join(bad, 'model.json');
      writeFileSync(badModel, '{"layers":[{"dense":"x"}]}\n');
      const notPng = join(bad, 'digit.png');
      writeFileSync(notPng, 'this is not a PNG\n');
      // A checkpoint file that lost its second half.
      const corrupt = join(bad, 'checkpoint.safetensors');
      copyFileSync(dir('a', 'checkpoint.safetensors'), corrupt);
      truncateSync(corrupt, Math.floor(statSync(corrupt).size / 2));
      const good = dir('a', 'checkpoint.safetensors');
      const model5 = join(bad, 'model5.json');
      writeFileSync(model5, '{"layers":[{"dense":100},"relu",{"dense":5}]}\n');
      const noDense = join(bad, 'relu.json');
      writeFileSync(noDense, '{"layers":["relu"]}\n');
      const aFile = join(bad, 'a-file');
      writeFileSync(aFile, 'x');
      // IDX folders: a 1 KB gzip bomb (inflates to 1 MB behind a header declaring 8 pixels), and
      // 4 + 4 valid 28x28 samples (fewer than a checkpoint trained on 6000 was evaluated with).
      const bomb = join(bad, 'bomb');
      const tiny = join(bad, 'tiny');
      const files = IDX_FILES;
      writeIdxDir(bomb, {
        [files.train.images]: Buffer.concat([
          Buffer.from(encodeIdx([2, 2, 2], new Uint8Array(8))),
          Buffer.alloc(1 << 20),
        ]),
      });
      writeIdxDir(tiny, tinyIdxFiles(4, 28));
      // The report's PNG layout holding one 65-byte PNG that declares 16000 x 16000 pixels.
      const hugePng = join(bad, 'huge-png');
      writeImageLayout(hugePng, hugeIhdrPng());

      // Each case: arguments and the words its message must hold (the flag and the bad value).
      const cases: [string[], string[]][] = [
        [
          ['train', '--epochs', 'abc'],
          ['--epochs', 'abc'],
        ],
        [
          ['train', '--epochs', '0'],
          ['--epochs', '0'],
        ],
        [
          ['train', '--lr', '-1'],
          ['--lr', '-1'],
        ],
        [
          ['train', '--batch-size', '2.5'],
          ['--batch-size', '2.5'],
        ],
        [
          ['train', '--optimiser', 'lamb'],
          ['--optimiser', 'lamb'],
        ],
        [
          ['train', '--optimizer', 'lamb'],
          ['--optimizer', 'lamb'],
        ],
        [
          ['train', '--resume', dir('a'), '--lr', '0.1'],
          ['--lr', 'cannot change'],
        ],
        [
          ['train', '--train-size', '70000'],
          ['--train-size', '70000'],
        ],
        [
          ['train', '--model', badModel],
          ['--model', 'layers[0].dense'],
        ],
        [
          ['train', '--data', '/nonexistent'],
          ['--data', '/nonexistent'],
        ],
        [
          ['eval', '--params', '/nonexistent.safetensors'],
          ['--params', '/nonexistent.safetensors'],
        ],
        [
          ['eval', '--params', corrupt],
          ['--params', corrupt],
        ],
        [
          ['eval', '--params', good, '--test-size', '70000'],
          ['--test-size', '70000'],
        ],
        [['predict', '--params', good, notPng], [notPng]],
        [
          ['train', '--resume', join(bad, 'empty')],
          ['--resume', join(bad, 'empty')],
        ],
        [
          ['train', '--model', model5],
          ['--model', 'one score per class (10)', 'last dense layer has 5 units (layer 2)'],
        ],
        [
          ['train', '--model', noDense],
          ['--model', 'no layer changes the width of the 784-pixel input'],
        ],
        [
          ['train', '--model', bad],
          ['--model', bad, 'a directory, expected a model spec file'],
        ],
        [
          ['train', '--shift', '9007199254740991'],
          ['--shift', '9007199254740991', 'at most 27'],
        ],
        [
          ['train', '--out', '/proc/difftape-test-out'],
          ['--out', '/proc/difftape-test-out', 'ENOENT'],
        ],
        [
          ['train', '--out', join(aFile, 'run')],
          ['--out', aFile, 'ENOTDIR'],
        ],
        [
          ['train', '--out', aFile],
          ['--out', aFile, 'is not a folder'],
        ],
        [
          ['train', '--data', bomb],
          [files.train.images, 'inflates to more than the 24 bytes its header declares'],
        ],
        [
          ['train', '--data', hugePng, '--format', 'images'],
          ['00000.png', 'expected a 28x28 image', 'found 16000x16000'],
        ],
        [
          ['eval', '--params', good, '--data', tiny],
          ['--train-size (not given', '6000 is more than the 4 training samples'],
        ],
      ];
      // Training cases get their own --out folder, which must not appear.
      const outcomes: { args: string[]; words: string[]; r: CliResult; wrote: string[] }[] = [];
      const queue = cases.map(([args, words], i) => async () => {
        const out = join(bad, `out${i}`);
        const fresh = args[0] === 'train' && !args.includes('--resume') && !args.includes('--out');
        const r = await runCli(fresh ? [...args, '--out', out] : args, { timeoutMs: TIMEOUT });
        const wrote = [
          ...(existsSync(out) ? [out] : []),
          ...readdirSync(join(bad, 'empty')).map((f) => join(bad, 'empty', f)),
        ];
        outcomes.push({ args, words, r, wrote });
      });
      const worker = async () => {
        for (let job = queue.shift(); job; job = queue.shift()) await job();
      };
      await Promise.all([worker(), worker(), worker()]);

      const problems: string[] = [];
      for (const { args, words, r, wrote } of outcomes) {
        const lines = r.stderr.split('\n').filter((l) => l.trim() !== '');
        const why: string[] = [];
        if (r.code === 0 || r.code === null) why.push(`exit code ${r.code}`);
        if (!lines[0]?.startsWith('error: '))
          why.push('first stderr line does not start with "error: "');
        if (lines.length > 2 || (lines.length === 2 && !/--help/.test(lines[1]!)))
          why.push(`${lines.length} stderr lines`);
        if (/^\s+at /m.test(r.stderr)) why.push('a stack trace');
        for (const w of words)
          if (!lines[0]?.includes(w)) why.push(`message lacks ${JSON.stringify(w)}`);
        if (wrote.length > 0) why.push(`wrote ${wrote.join(', ')}`);
        if (r.stdout.trim() !== '') why.push('printed on stdout');
        if (why.length) problems.push(`${why.join('; ')}\n${describeResult(args, r)}`);
      }
      expect(problems, problems.join('\n\n')).toEqual([]);
    },
    TIMEOUT,
  );

  test(
    'train --help lists every flag with its default; pnpm mnist alone prints usage',
    async () => {
      const pnpm = new Promise<CliResult>((resolve, reject) => {
        const child = spawn('pnpm', ['mnist'], {
          cwd: REPO_ROOT,
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let stdout = '';
        let stderr = '';
        child.stdout.setEncoding('utf8').on('data', (d: string) => {
          stdout += d;
        });
        child.stderr.setEncoding('utf8').on('data', (d: string) => {
          stderr += d;
        });
        child.on('error', reject);
        child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
      });
      const help = await run(['train', '--help']);
      // One entry per option: its first line starts with "  -", continuation lines are indented deeper.
      const entries: string[] = [];
      for (const line of help.stdout.split('\n')) {
        if (/^ {2}-/.test(line)) entries.push(line.trim());
        else if (/^ {3,}\S/.test(line) && entries.length)
          entries[entries.length - 1] += ` ${line.trim()}`;
        else if (!/^\s*$/.test(line) && entries.length && !line.startsWith(' ')) break;
      }
      const entry = (flag: string): string | undefined =>
        entries.find((e) => e.startsWith(`${flag} `) || e.includes(` ${flag} `) || e === flag);
      const kebab = (field: string) => `--${field.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
      const missing: string[] = [];
      for (const field of Object.keys(CONFIG_FIELDS)) {
        const e = entry(kebab(field));
        if (!e) missing.push(`${kebab(field)}: not listed`);
        else if (!/default/i.test(e)) missing.push(`${kebab(field)}: no default`);
        else {
          const value = new Map<string, unknown>(Object.entries(reportConfig)).get(field);
          if (typeof value !== 'object' && !e.includes(String(value)))
            missing.push(`${kebab(field)}: default ${String(value)} not shown`);
        }
      }
      for (const flag of ['--data', '--format', '--out', '--resume', '--no-report', '--json'])
        if (!entry(flag)) missing.push(`${flag}: not listed`);
      // Every option that takes a value says its default, except --resume (an action, not a setting).
      for (const e of entries)
        if (/<[^>]+>/.test(e) && !e.startsWith('--resume') && !/default/i.test(e))
          missing.push(`no default: ${e}`);
      expect(missing, help.stdout).toEqual([]);

      const usage = await pnpm;
      const text = usage.stdout + usage.stderr;
      expect(text).toMatch(/Usage: pnpm mnist/);
      for (const command of ['train', 'eval', 'predict', 'report', 'export-images'])
        expect(text).toMatch(new RegExp(`^\\s+${command}\\b`, 'm'));
      expect(text).not.toMatch(/^\s+at /m);
    },
    TIMEOUT,
  );
});
