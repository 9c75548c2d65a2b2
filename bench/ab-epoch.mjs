/**
 * Two builds of difftape side by side in one process: whole epochs of the report's workload through
 * the public API (as bench:epoch's difftape), alternating A, B, B, A, ... so drift in the machine's
 * load hits both. For telling whether a change pays when single runs are noisier than the change.
 *
 * Run: `node bench/ab-epoch.mjs <checkout A> <checkout B> [rounds]`, each checkout built first
 * (`npx -y pnpm@12.21.0 build` in it, e.g. a `git worktree` of the commit before).
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const usage = 'usage: node bench/ab-epoch.mjs <checkout A> <checkout B> [rounds, default 3]';
const roots = process.argv.slice(2, 4).map((r) => resolve(r));
const rounds = Number(process.argv[4] ?? 3);
const unbuilt = roots.find((r) => !existsSync(`${r}/packages/mnist/dist/index.js`));
if (roots.length !== 2 || !Number.isInteger(rounds) || rounds < 1 || unbuilt !== undefined) {
  console.error(
    unbuilt ? `ab-epoch: ${unbuilt} has no built dist/ (run the build there)\n${usage}` : usage,
  );
  process.exit(2);
}
const stacks = [];
for (const root of roots) {
  const core = await import(pathToFileURL(`${root}/packages/core/dist/index.js`).href);
  const nn = await import(pathToFileURL(`${root}/packages/nn/dist/index.js`).href);
  const mnist = await import(pathToFileURL(`${root}/packages/mnist/dist/index.js`).href);
  const { train } = mnist.loadIdxDir();
  const model = nn.modelFromSpec({
    layers: [{ dense: 100 }, 'relu', { dense: 100 }, 'relu', { dense: 10 }],
  });
  const opt = nn.chain(nn.addRegulariser(nn.l1MaxColumn, 1e-4), nn.sgd(0.05));
  const step = nn.makeStep(model, core.softmaxCrossEntropy, opt);
  const [k1, k2] = core.split(core.key(0), 2);
  const [p0] = model.init(k1, [1, 28, 28]);
  let state = nn.initTrainState(p0, opt);
  const epoch = (e) => {
    for (const b of nn.batchIndices(core.foldIn(k2, e), train.count, 50))
      [state] = step(state, { x: mnist.gatherBatch(train, b), y: mnist.gatherLabels(train, b) });
  };
  for (const b of nn.batchIndices(core.foldIn(k2, 99), train.count, 50).slice(0, 100))
    [state] = step(state, { x: mnist.gatherBatch(train, b), y: mnist.gatherLabels(train, b) });
  stacks.push({ root, epoch, times: [] });
}
for (let r = 0; r < rounds; r++)
  for (const s of r % 2 ? [...stacks].reverse() : stacks) {
    const t = performance.now();
    s.epoch(r);
    s.times.push((performance.now() - t) / 1000);
  }
const med = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
for (const s of stacks)
  console.log(
    s.root,
    'median',
    med(s.times).toFixed(3),
    's/epoch',
    s.times.map((t) => t.toFixed(2)).join(' '),
  );
console.log('A/B', (med(stacks[0].times) / med(stacks[1].times)).toFixed(3));
