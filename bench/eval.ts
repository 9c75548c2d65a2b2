/**
 * The per-epoch metrics' evaluation (all 60 000 training and 10 000 test images, as `mnist train`
 * computes them after every epoch) on this thread and on pools of 1 and 2 worker threads,
 * interleaved round by round, with the report's 784-100-100-10 model (seeded init). Checks that
 * every evaluator gives the same bits. No training.
 *
 * Run: `npx -y pnpm@12.21.0 bench:eval [--rounds N] [--json]`.
 */
import { loadavg } from 'node:os';
import { key } from '@difftape/core';
import {
  type Evaluation,
  type Evaluator,
  evalPool,
  loadIdxDir,
  localEvaluator,
} from '@difftape/mnist';
import { decodeOrThrow, ModelSpec, modelFromSpec } from '@difftape/nn';
import { median } from './timing.js';

const args = process.argv.slice(2);
const roundsAt = args.indexOf('--rounds');
const rounds = roundsAt >= 0 ? Number(args[roundsAt + 1]) : 5;
if (!Number.isInteger(rounds) || rounds < 1) {
  console.error('usage: bench:eval [--rounds N] [--json]');
  process.exit(2);
}
const json = args.includes('--json');

const spec = decodeOrThrow(
  ModelSpec,
  { layers: [{ dense: 100 }, 'relu', { dense: 100 }, 'relu', { dense: 10 }] },
  'the report model',
);
const { train, test } = loadIdxDir();
const input = [1, train.rows, train.cols];
const model = modelFromSpec(spec, { input });
const [params] = model.init(key(0), input);

const contenders: { name: string; evaluator: Evaluator }[] = [
  { name: 'this thread', evaluator: localEvaluator(model) },
  { name: '1 worker', evaluator: evalPool({ spec, input }, 1) },
  { name: '2 workers', evaluator: evalPool({ spec, input }, 2) },
];

const bits = (e: Evaluation): string =>
  [
    Buffer.from(Float64Array.of(e.loss).buffer).toString('hex'),
    Buffer.from(e.predictions.buffer).toString('base64'),
    Buffer.from(e.confidences.buffer).toString('base64'),
  ].join(':');

// Warm-up (thread start, JIT): one test-set evaluation each.
for (const c of contenders) await c.evaluator.evaluate(params, test);
const seconds: number[][] = contenders.map(() => []);
const outputs = new Set<string>();
for (let r = 0; r < rounds; r++) {
  const order = r % 2 === 0 ? contenders : [...contenders].reverse();
  for (const c of order) {
    const start = performance.now();
    const a = await c.evaluator.evaluate(params, train);
    const b = await c.evaluator.evaluate(params, test);
    seconds[contenders.indexOf(c)]!.push((performance.now() - start) / 1000);
    outputs.add(`${bits(a)}|${bits(b)}`);
  }
}
await Promise.all(contenders.map((c) => c.evaluator.close()));

const medians = seconds.map(median);
const result = {
  images: train.count + test.count,
  rounds,
  medianSeconds: Object.fromEntries(contenders.map((c, i) => [c.name, medians[i]])),
  identical: outputs.size === 1,
  loadAverage: loadavg(),
  node: process.version,
};
if (!json) {
  for (const [i, c] of contenders.entries())
    console.log(
      `${c.name.padEnd(12)} median ${medians[i]!.toFixed(3)} s (min ${Math.min(...seconds[i]!).toFixed(3)}, max ${Math.max(...seconds[i]!).toFixed(3)})`,
    );
  console.log(`same bits from every evaluator: ${result.identical}`);
  console.log(`load average ${result.loadAverage.map((l) => l.toFixed(2)).join(' ')}`);
}
console.log(JSON.stringify(result));
if (!result.identical) process.exitCode = 1;
