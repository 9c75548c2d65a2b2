/**
 * One training step of the report's workload, timed for difftape, a hand-written float64 baseline
 * (bench/baseline.ts) and TensorFlow.js's pure-JS CPU backend (float32), interleaved in one run;
 * then one epoch of difftape steps (and a run of tfjs steps) to show that no memory accumulates.
 *
 * Workload: 784-100-100-10 ReLU MLP (the report's N(0, 0.1) init), the first 50 MNIST training
 * images (pixels / 255), mean softmax cross-entropy, one SGD step (lr 0.05) with the L1
 * max-column regulariser (λ = 1e-4) on every leaf. Every timed call starts from the same
 * parameters and batch (the steps are pure), so every call does the same work.
 *
 * Run: `node --conditions=@difftape/source --expose-gc --import tsx bench/train-step.ts [--json] [--only a,b] [--no-memory]`.
 * Without --expose-gc (e.g. `tsx bench/train-step.ts`) the script re-spawns itself with it.
 */
import { spawnSync } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import {
  key,
  type Matrix,
  rowsOf,
  softmaxCrossEntropy,
  split,
  toFlat,
  valueAndGrad,
} from '@difftape/core';
import {
  gatherBatch,
  gatherLabels,
  loadIdxDir,
  makeOptimiser,
  reportConfig,
} from '@difftape/mnist';
import { batchIndices, initTrainState, makeStep, modelFromSpec, type Params } from '@difftape/nn';
import { baselineStep, type DenseLayer, mlpLossAndGrad } from './baseline.js';
import { type MemoryRun, type MemorySample, memoryRun } from './memory.js';
import { fromTf, loadTf, oneHotTf, type Tf, type TfParams, tfjsWorkload, toTf } from './tfjs.js';
import { type Contender, compareInterleaved } from './timing.js';

/** The contenders, by the name `--only` takes. */
const CONTENDERS = {
  difftape: 'difftape: makeStep (the training step)',
  'difftape-grad': 'difftape: valueAndGrad only',
  baseline: 'baseline: hand-written step',
  'baseline-grad': 'baseline: hand-written grad only',
  tfjs: 'tfjs cpu (float32): step',
  'tfjs-grad': 'tfjs cpu (float32): grad only',
} as const;
type ContenderKey = keyof typeof CONTENDERS;
const isContender = (s: string): s is ContenderKey => Object.hasOwn(CONTENDERS, s);
/** Each contender's reference row for the ratio column: the difftape row of the same kind. */
const kindOf = (k: ContenderKey): 'step' | 'grad' => (k.endsWith('-grad') ? 'grad' : 'step');

const BATCH = 50;
/** Steps per epoch: 60 000 training images in batches of 50. */
const EPOCH_STEPS = 1200;
/** Chained tfjs steps of the leak check (tfjs is the slowest; the count only has to be large). */
const TFJS_LEAK_STEPS = 100;

interface Options {
  readonly json: boolean;
  readonly only: readonly ContenderKey[];
  readonly memory: boolean;
}

const usage = `usage: node --conditions=@difftape/source --expose-gc --import tsx bench/train-step.ts [--json] [--only ${Object.keys(CONTENDERS).join(',')}] [--no-memory]`;

const parseArgs = (argv: readonly string[]): Options => {
  let json = false;
  let memory = true;
  let only: ContenderKey[] = Object.keys(CONTENDERS) as ContenderKey[];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--json') json = true;
    else if (arg === '--no-memory') memory = false;
    else if (arg === '--only') {
      const names = (argv[++i] ?? '').split(',').filter((s) => s !== '');
      const bad = names.find((s) => !isContender(s));
      if (names.length === 0 || bad !== undefined) {
        throw new Error(
          `train-step: --only expects a comma-separated list of ${Object.keys(CONTENDERS).join(', ')}; got '${bad ?? ''}'\n${usage}`,
        );
      }
      only = names as ContenderKey[];
    } else throw new Error(`train-step: unknown argument '${arg}'\n${usage}`);
  }
  return { json, only, memory };
};

/** The dense layers of a serial model's parameter tree, in order (activations have none). */
const denseLayers = (params: Params): DenseLayer[] =>
  (params as unknown as Record<string, Matrix>[])
    .filter((p) => 'W' in p)
    .map((p) => ({ W: p.W!, b: p.b! }));

/** The largest |x − y| over two equally shaped lists of layers. */
const maxAbsDiff = (xs: readonly DenseLayer[], ys: readonly DenseLayer[]): number => {
  let worst = 0;
  const diff = (a: Matrix, b: Matrix) => {
    if (a.rows !== b.rows || a.columns !== b.columns)
      throw new Error(`train-step: comparing ${a.rows}x${a.columns} with ${b.rows}x${b.columns}`);
    const bs = rowsOf(b);
    rowsOf(a).forEach((row, i) => {
      row.forEach((v, j) => {
        worst = Math.max(worst, Math.abs(v - bs[i]![j]!));
      });
    });
  };
  xs.forEach((x, l) => {
    diff(x.W, ys[l]!.W);
    diff(x.b, ys[l]!.b);
  });
  return worst;
};

/** The largest |x| over a list of layers. */
const maxAbs = (xs: readonly DenseLayer[]): number =>
  Math.max(...xs.flatMap(({ W, b }) => [W, b].map((m) => Math.max(...toFlat(m).map(Math.abs)))));

/** One row of the timing table. */
interface StepResult {
  readonly key: ContenderKey;
  readonly name: string;
  readonly medianMs: number;
  readonly stepsPerSecond: number;
  /** Median time over the difftape row of the same kind (step or grad only); NaN when absent. */
  readonly vsDifftape: number;
  readonly rounds: number;
}

/** Checks run before timing, with the numbers they compared. */
interface Checks {
  /** Baseline vs tape gradients, and baseline vs makeStep new parameters (float64, ≤ 1e-12). */
  baselineGradMaxAbsDiff?: number;
  baselineStepMaxAbsDiff?: number;
  /** tfjs (float32) vs difftape loss at the same initial weights, relative. */
  tfjsLossRelDiff?: number;
  /** tfjs vs difftape gradients and new parameters: max |diff| over max |difftape value|. */
  tfjsGradRelDiff?: number;
  tfjsStepRelDiff?: number;
  difftapeLoss?: number;
  tfjsLoss?: number;
}

const check = (what: string, value: number, tolerance: number): number => {
  if (!(value <= tolerance))
    throw new Error(`train-step: ${what} differ by ${value}, expected at most ${tolerance}`);
  return value;
};

/** The report's workload, its difftape step and gradient, and the same weights as plain layers. */
const setUp = () => {
  const { train } = loadIdxDir();
  const firstBatch = Array.from({ length: BATCH }, (_, i) => i);
  const x = gatherBatch(train, firstBatch);
  const labels = gatherLabels(train, firstBatch);
  const model = modelFromSpec(reportConfig.model);
  // The report run's initial weights: train.ts's init key is the first half of key(seed).
  const [initKey] = split(key(reportConfig.seed), 2);
  const [params] = model.init(initKey, [x.columns]);
  const optimiser = makeOptimiser(reportConfig, EPOCH_STEPS);
  return {
    train,
    x,
    labels,
    params,
    layers: denseLayers(params),
    state0: initTrainState(params, optimiser),
    step: makeStep(model, softmaxCrossEntropy, optimiser),
    lossAndGrad: valueAndGrad((p: Params) => softmaxCrossEntropy(model.apply(p, x), labels)),
    hyper: { lr: reportConfig.lr, lambda: reportConfig.lambda },
  };
};
type Workload = ReturnType<typeof setUp>;

/** difftape's loss, gradients and stepped parameters, checked against the baseline's (float64). */
const checkBaseline = (w: Workload) => {
  const [loss, tapeGrads] = w.lossAndGrad(w.params);
  const grads = denseLayers(tapeGrads as Params);
  const stepped = denseLayers(w.step(w.state0, { x: w.x, y: w.labels })[0].params);
  const base = mlpLossAndGrad(w.layers, w.x, w.labels);
  check('baseline and difftape losses', Math.abs(base.loss - loss), 1e-12);
  const checks: Checks = {
    difftapeLoss: loss,
    baselineGradMaxAbsDiff: check(
      'baseline and difftape gradients',
      maxAbsDiff(base.grads, grads),
      1e-12,
    ),
    baselineStepMaxAbsDiff: check(
      'baseline and makeStep new parameters',
      maxAbsDiff(baselineStep(w.layers, w.x, w.labels, w.hyper).layers, stepped),
      1e-12,
    ),
  };
  return { loss, grads, stepped, checks };
};

/** tfjs's float32 loss, gradients and stepped parameters against difftape's, at the same weights. */
const checkTfjs = (
  tf: Tf,
  tfw: ReturnType<typeof tfjsWorkload>,
  tfParams: TfParams,
  ref: ReturnType<typeof checkBaseline>,
): Checks =>
  tf.tidy(() => {
    const [grads, loss] = tfw.gradOnly(tfParams);
    const tfLoss = loss.dataSync()[0]!;
    const [next] = tfw.step(tfParams);
    return {
      tfjsLoss: tfLoss,
      tfjsLossRelDiff: check(
        'tfjs and difftape losses (relative)',
        Math.abs(tfLoss - ref.loss) / Math.abs(ref.loss),
        1e-5,
      ),
      tfjsGradRelDiff: check(
        'tfjs and difftape gradients (relative to the largest)',
        maxAbsDiff(fromTf(grads), ref.grads) / maxAbs(ref.grads),
        1e-4,
      ),
      tfjsStepRelDiff: check(
        'tfjs and makeStep new parameters (relative to the largest)',
        maxAbsDiff(fromTf(next), ref.stepped) / maxAbs(ref.stepped),
        1e-5,
      ),
    };
  });

/** Times the contenders interleaved; ratios against the difftape row of the same kind. */
const timeSteps = (contenders: readonly (Contender & { key: ContenderKey })[]) => {
  const timings = compareInterleaved(contenders, {
    warmupMs: 3000,
    budgetMs: contenders.length > 2 ? 25_000 : 12_000,
    minRounds: 30,
  });
  const ms = (k: ContenderKey) =>
    timings.find((_, i) => contenders[i]!.key === k)?.medianMs ?? Number.NaN;
  const results: StepResult[] = timings.map((t, i) => {
    const k = contenders[i]!.key;
    return {
      key: k,
      name: t.name,
      medianMs: t.medianMs,
      stepsPerSecond: 1000 / t.medianMs,
      vsDifftape: t.medianMs / ms(kindOf(k) === 'step' ? 'difftape' : 'difftape-grad'),
      rounds: t.rounds,
    };
  });
  const overhead = {
    step: ms('difftape') / ms('baseline'),
    grad: ms('difftape-grad') / ms('baseline-grad'),
  };
  return { results, overhead };
};

/** One epoch of chained difftape steps, batches gathered on the fly as in training. */
const difftapeEpoch = (w: Workload): Promise<MemoryRun> => {
  const order = batchIndices(key(1), w.train.count, BATCH);
  let state = w.state0;
  return memoryRun(order.length, (i) => {
    const idx = order[i]!;
    const [next, { loss }] = w.step(state, {
      x: gatherBatch(w.train, idx),
      y: gatherLabels(w.train, idx),
    });
    state = next;
    return loss;
  });
};

/** Chained tfjs steps (new parameters kept, old ones disposed), counting live tensors. */
const tfjsLeakRun = async (
  tf: Tf,
  tfw: ReturnType<typeof tfjsWorkload>,
  w: Workload,
  tfParams: TfParams,
): Promise<MemoryRun> => {
  const order = batchIndices(key(1), w.train.count, BATCH);
  let ps = tfParams.map((p) => p.clone());
  const run = await memoryRun(
    TFJS_LEAK_STEPS,
    (i) => {
      const idx = order[i]!;
      const [next, loss] = tf.tidy(() =>
        tfw.step(ps, toTf(tf, gatherBatch(w.train, idx)), oneHotTf(tf, gatherLabels(w.train, idx))),
      );
      const value = loss.dataSync()[0]!;
      loss.dispose();
      for (const p of ps) p.dispose();
      ps = next;
      return value;
    },
    () => tf.memory().numTensors,
  );
  for (const p of ps) p.dispose();
  return run;
};

const WORKLOAD =
  '784-100-100-10 ReLU MLP, batch 50 (MNIST train[0..49], pixels/255), mean softmax cross-entropy, SGD lr 0.05 + L1 max-column λ 1e-4';

const main = async (): Promise<void> => {
  const options = parseArgs(process.argv.slice(2));
  const has = (k: ContenderKey) => options.only.includes(k);
  const w = setUp();
  const ref = checkBaseline(w);
  let checks = ref.checks;

  const contenders: (Contender & { key: ContenderKey })[] = [];
  const add = (k: ContenderKey, run: () => unknown) => {
    if (has(k)) contenders.push({ key: k, name: CONTENDERS[k], run });
  };
  const batch = { x: w.x, y: w.labels };
  add('difftape', () => w.step(w.state0, batch));
  add('difftape-grad', () => w.lossAndGrad(w.params));
  add('baseline', () => baselineStep(w.layers, w.x, w.labels, w.hyper));
  add('baseline-grad', () => mlpLossAndGrad(w.layers, w.x, w.labels));

  // tfjs is loaded only when asked for, so a profile of `--only difftape` holds none of it.
  const tf = has('tfjs') || has('tfjs-grad') ? await loadTf('cpu') : undefined;
  const tfw = tf && tfjsWorkload(tf, w.x, w.labels);
  const tfParams: TfParams = tf ? w.layers.flatMap(({ W, b }) => [toTf(tf, W), toTf(tf, b)]) : [];
  if (tf && tfw) {
    checks = { ...checks, ...checkTfjs(tf, tfw, tfParams, ref) };
    // tidy frees every intermediate; dataSync() makes sure the loss was really computed.
    add('tfjs', () => tf.tidy(() => tfw.step(tfParams)[1].dataSync()[0]));
    add('tfjs-grad', () => tf.tidy(() => tfw.gradOnly(tfParams)[1].dataSync()[0]));
  }

  const { results, overhead } = timeSteps(contenders);
  const memory = {
    difftape: options.memory && has('difftape') ? await difftapeEpoch(w) : undefined,
    tfjs: options.memory && tf && tfw ? await tfjsLeakRun(tf, tfw, w, tfParams) : undefined,
  };

  const tfjs = tf ? `${tf.version_core} (${tf.getBackend()})` : null;
  if (options.json) {
    const report = { node: process.version, tfjs, workload: WORKLOAD, checks, timings: results };
    console.log(JSON.stringify({ ...report, overhead, memory }, null, 2));
    return;
  }
  console.log(
    `training step, median ms per call (node ${process.version}${tfjs ? `, tfjs-core ${tfjs}` : ''})`,
  );
  console.log(`${WORKLOAD}; every call starts from the same parameters and batch`);
  console.log(stepTable(results));
  const ratios = [
    ['step', overhead.step],
    ['grad only', overhead.grad],
  ].filter(([, r]) => !Number.isNaN(r));
  if (ratios.length > 0) {
    console.log(
      `tape overhead (difftape ÷ baseline): ${ratios.map(([k, r]) => `${k} ${(r as number).toFixed(2)}x`).join(', ')}`,
    );
  }
  console.log(checksLine(checks));
  if (memory.difftape) console.log(memoryLines('difftape, one epoch', memory.difftape));
  if (memory.tfjs) console.log(memoryLines('tfjs, leak check', memory.tfjs));
};

/** A plain-text table: the first column left-aligned, the rest right-aligned. */
const table = (header: readonly string[], rows: readonly string[][]): string => {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: readonly string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
};

const stepTable = (results: readonly StepResult[]): string =>
  table(
    ['contender', 'ms/step', 'steps/s', 'vs difftape', 'rounds'],
    results.map((r) => [
      r.name,
      r.medianMs.toFixed(3),
      r.stepsPerSecond.toFixed(1),
      Number.isNaN(r.vsDifftape) ? '-' : `${r.vsDifftape.toFixed(2)}x`,
      String(r.rounds),
    ]),
  );

const checksLine = (c: Checks): string => {
  const parts = [`checks passed: loss ${c.difftapeLoss?.toFixed(6)}`];
  if (c.baselineGradMaxAbsDiff !== undefined) {
    parts.push(
      `baseline vs tape |Δgrad| ${c.baselineGradMaxAbsDiff.toExponential(1)}, |Δparams after step| ${c.baselineStepMaxAbsDiff?.toExponential(1)}`,
    );
  }
  if (c.tfjsLoss !== undefined) {
    parts.push(
      `tfjs loss ${c.tfjsLoss.toFixed(6)} (rel ${c.tfjsLossRelDiff?.toExponential(1)}), grads rel ${c.tfjsGradRelDiff?.toExponential(1)}, params after step rel ${c.tfjsStepRelDiff?.toExponential(1)}`,
    );
  }
  return parts.join('; ');
};

const memoryLines = (name: string, r: MemoryRun): string => {
  const mb = (v: number) => v.toFixed(1);
  const row = (what: string, m: MemorySample) => [
    what,
    mb(m.heapUsedMB),
    mb(m.arrayBuffersMB),
    mb(m.rssMB),
  ];
  const tensors =
    r.tensorsBefore !== undefined
      ? `; tfjs live tensors ${r.tensorsBefore} → ${r.tensorsAfter}`
      : '';
  return [
    '',
    `${name}: ${r.steps} chained steps in ${r.seconds.toFixed(1)} s (${((1000 * r.seconds) / r.steps).toFixed(2)} ms/step with batch gathering), loss ${r.firstLoss.toFixed(3)} → ${r.lastLoss.toFixed(3)}; GC ${r.gcCount} pauses, ${r.gcMs.toFixed(0)} ms (${((100 * r.gcMs) / (1000 * r.seconds)).toFixed(1)} %)${tensors}`,
    table(
      ['memory, MB', 'heapUsed', 'arrayBuffers', 'rss'],
      [
        row(r.forcedGc ? 'before (after gc)' : 'before (no --expose-gc)', r.before),
        row('peak (every 25 steps)', r.peak),
        row(r.forcedGc ? 'after (after gc)' : 'after (no --expose-gc)', r.after),
      ],
    ),
  ].join('\n');
};

/** Re-runs this script under `--expose-gc` when it lacks it, so memory is read after a full GC. */
const respawnWithGc = (): boolean => {
  if (typeof (globalThis as { gc?: unknown }).gc === 'function') return false;
  if (process.env.DIFFTAPE_BENCH_RESPAWNED === '1') return false; // flag refused: run without it
  const child = spawnSync(
    process.execPath,
    ['--expose-gc', ...process.execArgv, ...process.argv.slice(1)],
    { stdio: 'inherit', env: { ...process.env, DIFFTAPE_BENCH_RESPAWNED: '1' } },
  );
  if (child.error) throw child.error;
  process.exitCode = child.status ?? 1;
  return true;
};

// Run only as a script (not when imported, e.g. by a type or lint tool that loads modules).
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href && !respawnWithGc()) {
  main().catch((e: unknown) => {
    console.error(e instanceof Error ? e.message : e);
    process.exitCode = 1;
  });
}
