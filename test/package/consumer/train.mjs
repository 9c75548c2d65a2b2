// Plain node (no tsx): train, save a checkpoint, load it back, check the predictions are identical.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadCheckpoint, saveCheckpoint } from '@difftape/nn/node';
import { predict, spec, train } from './model.mjs';

const { model, state, losses, x } = train(20);
const dir = mkdtempSync(join(tmpdir(), 'difftape-user-'));
const path = join(dir, 'model.safetensors');
try {
  saveCheckpoint(path, { params: state.params, optimiserState: state.optState, spec });
  const loaded = loadCheckpoint(path);
  const before = predict(model, state.params, x);
  const after = predict(model, loaded.params, x);
  const identical =
    before.length === after.length && before.every((v, i) => Object.is(v, after[i]));
  if (!identical) throw new Error('predictions after reloading the checkpoint differ');
  if (JSON.stringify(loaded.spec) !== JSON.stringify(spec))
    throw new Error('the spec did not round-trip');
  // The checkpoint bytes and predictions, for the browser test to decode and compare against.
  process.stdout.write(
    `${JSON.stringify({
      losses,
      identical,
      checkpoint: readFileSync(path).toString('base64'),
      predictions: before,
    })}\n`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
