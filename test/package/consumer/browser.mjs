// The browser bundle's entry: trains a few steps in the page and decodes a fetched checkpoint.
import { decodeCheckpoint } from '@difftape/nn';
import { predict, train } from './model.mjs';

/** Trains `steps` steps, then fetches the checkpoint at `url` and predicts with its params. */
globalThis.runDifftape = async (steps, url) => {
  const { model, losses, x } = train(steps);
  const response = await fetch(url);
  if (!response.ok) throw new Error(`fetching ${url}: HTTP ${response.status}`);
  const loaded = decodeCheckpoint(new Uint8Array(await response.arrayBuffer()));
  return { losses, spec: loaded.spec, predictions: predict(model, loaded.params, x) };
};
