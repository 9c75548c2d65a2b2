/**
 * Whole epochs of the report's workload through the public API: `makeStep` on `modelFromSpec`'s
 * model, `chain(addRegulariser(l1MaxColumn, 1e-4), sgd(0.05))`, each batch of 50 gathered from the
 * bytes every step; then the evaluation of all 70 000 images. Beside it, in the same run and
 * interleaved epoch by epoch: the hand-written baseline (bench/baseline.ts), TensorFlow.js's wasm
 * backend (float32) for dense/relu stacks, and PyTorch float64 on 1 thread (any spec: torch_epoch.py
 * builds the same layers) when /usr/bin/python3 has torch.
 *
 * Run: `npx -y pnpm@12.21.0 bench:epoch [--epochs N] [--json] [--model <spec JSON>] [--only a,b]`.
 * With --json the last stdout line is one JSON object (medianSecondsPerEpoch, evalSeconds, ...).
 */
import { foldIn, type Key, key, softmaxCrossEntropy, split } from '@difftape/core';
import {
  bundledDataDir,
  evalPool,
  evaluate,
  gatherBatch,
  gatherLabels,
  loadIdxDir,
} from '@difftape/mnist';
import {
  addRegulariser,
  batchIndices,
  chain,
  decodeOrThrow,
  initTrainState,
  l1MaxColumn,
  ModelSpec,
  makeStep,
  modelFromSpec,
  sgd,
} from '@difftape/nn';
import { baselineStep, type DenseLayer } from './baseline.js';
import { loadTf, type TfParams, tfjsWorkload, toTf } from './tfjs.js';
import { median } from './timing.js';
import { hasTorch, startTorch } from './torch-peer.js';

const CONTENDERS = ['difftape', 'baseline', 'tfjs', 'torch'] as const;
type ContenderKey = (typeof CONTENDERS)[number];
const isContender = (s: string): s is ContenderKey => CONTENDERS.some((c) => c === s);
const usage = `usage: bench:epoch [--epochs N] [--json] [--model <spec JSON>] [--only ${CONTENDERS.join(',')}]`;
const REPORT_SPEC = { layers: [{ dense: 100 }, 'relu', { dense: 100 }, 'relu', { dense: 10 }] };
const BATCH = 50;
const LR = 0.05;
const LAMBDA = 1e-4;
const WARMUP_STEPS = 100;
const EVAL_RUNS = 3;
const EVAL_WORKERS = 2;

interface Options {
  readonly epochs: number;
  readonly json: boolean;
  readonly spec: unknown;
  readonly only: readonly ContenderKey[];
}

const fail = (message: string): never => {
  console.error(`bench:epoch: ${message}\n${usage}`);
  process.exit(2);
};

const parseArgs = (argv: readonly string[]): Options => {
  let epochs = 3;
  let json = false;
  let spec: unknown = REPORT_SPEC;
  let only: ContenderKey[] = [...CONTENDERS];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--json') json = true;
    else if (arg === '--epochs') {
      epochs = Number(argv[++i]);
      if (!Number.isInteger(epochs) || epochs < 1) fail(`--epochs expects a positive integer`);
    } else if (arg === '--model') {
      try {
        spec = JSON.parse(argv[++i] ?? '');
      } catch {
        fail(`--model expects a JSON model spec, e.g. '${JSON.stringify(REPORT_SPEC)}'`);
      }
    } else if (arg === '--only') {
      const names = (argv[++i] ?? '').split(',');
      const bad = names.find((s) => !isContender(s));
      if (bad !== undefined) fail(`--only: unknown contender '${bad}'`);
      only = names.filter(isContender);
    } else fail(`unknown argument '${arg}'`);
  }
  return { epochs, json, spec, only };
};

/** The widths of a spec made only of dense layers with relu between them, else undefined. */
const mlpWidths = (spec: unknown): number[] | undefined => {
  if (typeof spec !== 'object' || spec === null || !('layers' in spec)) return undefined;
  const layers: unknown = spec.layers;
  if (!Array.isArray(layers)) return undefined;
  const widths: number[] = [];
  for (let i = 0; i < layers.length; i++) {
    const layer: unknown = layers[i];
    if (i % 2 === 1) {
      if (layer !== 'relu') return undefined;
    } else if (typeof layer === 'object' && layer !== null && 'dense' in layer) {
      if (typeof layer.dense !== 'number') return undefined;
      widths.push(layer.dense);
    } else return undefined;
  }
  return layers.length % 2 === 1 ? widths : undefined;
};

/** One contender: runs one epoch (its steps over the given batches) and reports its seconds. */
type Epoch = (batches: readonly Int32Array[]) => void;

const timeEpoch = (run: Epoch, batches: readonly Int32Array[]): number => {
  const start = performance.now();
  run(batches);
  return (performance.now() - start) / 1000;
};

const stats = (xs: readonly number[]) => ({
  median: median(xs),
  min: Math.min(...xs),
  max: Math.max(...xs),
});

const main = async (): Promise<void> => {
  const options = parseArgs(process.argv.slice(2));
  const { train, test } = loadIdxDir();
  const model = modelFromSpec(options.spec);
  const optimiser = chain(addRegulariser(l1MaxColumn, LAMBDA), sgd(LR));
  const step = makeStep(model, softmaxCrossEntropy, optimiser);
  const [initKey, dataKey] = split(key(0), 2) as [Key, Key];
  const [params0] = model.init(initKey, [1, train.rows, train.cols]);
  let state = initTrainState(params0, optimiser);
  const batchesOf = (epoch: number) => batchIndices(foldIn(dataKey, epoch), train.count, BATCH);
  const widths = mlpWidths(options.spec);

  const epochs: Partial<Record<ContenderKey, Epoch>> = {};
  if (options.only.includes('difftape'))
    epochs.difftape = (batches) => {
      for (const b of batches)
        [state] = step(state, { x: gatherBatch(train, b), y: gatherLabels(train, b) });
    };
  if (widths && options.only.includes('baseline')) {
    let layers: DenseLayer[] = denseLayersOf(params0);
    epochs.baseline = (batches) => {
      for (const b of batches)
        ({ layers } = baselineStep(layers, gatherBatch(train, b), gatherLabels(train, b), {
          lr: LR,
          lambda: LAMBDA,
        }));
    };
  }
  if (widths && options.only.includes('tfjs')) {
    const tf = await loadTf('wasm');
    const first = batchesOf(0)[0]!;
    const { step: tfStep } = tfjsWorkload(
      tf,
      gatherBatch(train, first),
      gatherLabels(train, first),
    );
    let ps: TfParams = denseLayersOf(params0).flatMap(({ W, b }) => [toTf(tf, W), toTf(tf, b)]);
    epochs.tfjs = (batches) => {
      for (const b of batches) {
        const next = tf.tidy(() => {
          const x = toTf(tf, gatherBatch(train, b));
          const y = tf.cast(tf.oneHot(tf.tensor1d(gatherLabels(train, b), 'int32'), 10), 'float32');
          return tfStep(ps, x, y)[0];
        });
        for (const p of ps) p.dispose();
        ps = next;
      }
    };
  }

  const names = Object.keys(epochs).filter(isContender);
  for (const name of names) epochs[name]!(batchesOf(0).slice(0, WARMUP_STEPS));
  // PyTorch warms up on its own, then takes its turn after the JS contenders each epoch
  const torchPeer =
    options.only.includes('torch') && hasTorch()
      ? await startTorch(bundledDataDir, options.epochs, options.spec)
      : undefined;
  const seconds: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
  for (let e = 1; e <= options.epochs; e++) {
    const batches = batchesOf(e);
    for (const name of names) {
      const s = timeEpoch(epochs[name]!, batches);
      seconds[name]!.push(s);
      if (!options.json) console.log(`epoch ${e}: ${name} ${s.toFixed(2)} s`);
    }
    if (torchPeer) {
      const s = await torchPeer.epoch();
      if (!options.json) console.log(`epoch ${e}: torch ${s.toFixed(2)} s`);
    }
  }
  // Both splits, as mnist train's per-epoch metrics: on this thread and on 2 worker threads (the
  // pool started beforehand, as a run starts it once), interleaved, medians of EVAL_RUNS.
  const pool = evalPool(
    { spec: decodeOrThrow(ModelSpec, options.spec, '--model'), input: [1, train.rows, train.cols] },
    EVAL_WORKERS,
  );
  await pool.evaluate(state.params, test);
  const evalTimes: number[] = [];
  const poolTimes: number[] = [];
  let testMetrics = evaluate(model, state.params, test);
  for (let r = 0; r < EVAL_RUNS; r++) {
    let start = performance.now();
    evaluate(model, state.params, train);
    testMetrics = evaluate(model, state.params, test);
    evalTimes.push((performance.now() - start) / 1000);
    start = performance.now();
    await pool.evaluate(state.params, train);
    await pool.evaluate(state.params, test);
    poolTimes.push((performance.now() - start) / 1000);
  }
  await pool.close();
  const evalSeconds = median(evalTimes);
  const evalSecondsWorkers = median(poolTimes);

  const torch = torchPeer && (await torchPeer.finish());

  const difftape = stats(seconds.difftape ?? [Number.NaN]);
  const peers = Object.fromEntries(
    names.filter((n) => n !== 'difftape').map((n) => [n, stats(seconds[n]!)]),
  );
  if (torch) peers.torch = stats(torch.secondsPerEpoch);
  const ratios = Object.fromEntries(
    Object.entries(peers).map(([n, s]) => [`${n}OverDifftape`, s.median / difftape.median]),
  );
  const result = {
    medianSecondsPerEpoch: difftape.median,
    minSecondsPerEpoch: difftape.min,
    maxSecondsPerEpoch: difftape.max,
    evalSeconds,
    evalSecondsWorkers,
    evalWorkers: EVAL_WORKERS,
    testTop1: testMetrics.top1,
    epochs: options.epochs,
    peers,
    ...ratios,
    ...(torch && { torchEvalSeconds: torch.evalSeconds, torchTestTop1: torch.testTop1 }),
    node: process.version,
  };
  if (!options.json) {
    const line = (n: string, s: { median: number; min: number; max: number }) =>
      `${n.padEnd(9)} median ${s.median.toFixed(2)} s/epoch (min ${s.min.toFixed(2)}, max ${s.max.toFixed(2)})`;
    console.log(line('difftape', difftape));
    for (const [n, s] of Object.entries(peers))
      console.log(`${line(n, s)}  ${n} ÷ difftape = ${(s.median / difftape.median).toFixed(2)}`);
    console.log(
      `evaluation of ${train.count + test.count} images: ${evalSeconds.toFixed(2)} s on this thread, ` +
        `${evalSecondsWorkers.toFixed(2)} s on ${EVAL_WORKERS} worker threads (medians of ${EVAL_RUNS})` +
        (torch ? `; torch ${torch.evalSeconds.toFixed(2)} s` : ''),
    );
    console.log(`test top-1 after ${options.epochs} epochs: ${testMetrics.top1}`);
  }
  console.log(JSON.stringify(result));
};

/** The dense layers of a Serial model's parameters, in order (activations have none). */
const denseLayersOf = (params: unknown): DenseLayer[] =>
  (Array.isArray(params) ? params : []).flatMap((p: unknown) =>
    typeof p === 'object' && p !== null && 'W' in p && 'b' in p ? [{ W: p.W, b: p.b }] : [],
  ) as DenseLayer[];

await main();
