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
import { baselineStep, mlpLossAndGrad } from './baseline.js';
import { loadTf, type TfParams, tfjsWorkload, toTf } from './tfjs.js';
import { type Contender, compareInterleaved } from './timing.js';
import { checkBaseline, checkTfjs } from './train-step/checks.js';
import { checksLine, memoryLines, type StepResult, stepTable } from './train-step/format.js';
import { difftapeEpoch, tfjsLeakRun } from './train-step/memory-runs.js';
import { setUp, WORKLOAD } from './train-step/workload.js';

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
