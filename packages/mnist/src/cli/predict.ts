import { existsSync, readFileSync } from 'node:fs';
import { Matrix, rawOf, softmax } from '@difftape/core';
import type { Command } from 'commander';
import { decodeDigitPng } from '../digit-png.js';
import { fail, loadModel } from './shared.js';

const pixelsRow = (pixels: Uint8Array): Matrix =>
  Matrix.from1DArray(
    1,
    pixels.length,
    Array.from(pixels, (p) => p / 255),
  );

/** Index of the largest value (the first on ties), without spreading the array. */
const argmax = (xs: readonly number[]): number => {
  let best = 0;
  for (let i = 1; i < xs.length; i++) if (xs[i]! > xs[best]!) best = i;
  return best;
};

/** `predict`: the digit in each PNG, with the model's probabilities. */
export const registerPredict = (program: Command): void => {
  program
    .command('predict')
    .description(
      "Classify 28x28 PNG digit images (white on black, like MNIST) with a checkpoint's model.",
    )
    .requiredOption('--params <file>', 'checkpoint.safetensors from a run folder')
    .argument('<images...>', 'PNG files')
    .option('--json', 'print JSON on stdout')
    .action((images: string[], flags) => {
      const { model, params, inputs } = loadModel(flags.params);
      const results = images.map((file) => {
        if (!existsSync(file)) fail(`no such image: ${file}`);
        const pixels = decodeDigitPng(readFileSync(file), file);
        if (pixels.length !== inputs)
          fail(
            `${file}: ${flags.params} takes ${inputs} inputs, this image has ${pixels.length} pixels`,
          );
        const x = rawOf(softmax(model.apply(params, pixelsRow(pixels)))) as Matrix;
        const probabilities = x.getRow(0);
        return { file, digit: argmax(probabilities), probabilities };
      });
      if (flags.json) {
        process.stdout.write(`${JSON.stringify(results)}\n`);
        return;
      }
      for (const r of results) {
        const probs = r.probabilities.map((p, k) => `${k}:${p.toFixed(3)}`).join(' ');
        process.stdout.write(
          `${r.file}: ${r.digit} (p = ${r.probabilities[r.digit]!.toFixed(4)})  ${probs}\n`,
        );
      }
    });
};
