import { existsSync } from 'node:fs';
import { Matrix, rawOf, softmax } from '@difftape/core';
import type { Command } from 'commander';
import { decodeDigitPng, maxPngBytes } from '../digit-png.js';
import { readDataFile } from '../read-file.js';
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
      "Classify PNG digit images (white on black, like MNIST; 28x28, or the size the model was trained on) with a checkpoint's model.",
    )
    .requiredOption('--params <file>', 'checkpoint.safetensors from a run folder')
    .argument('<images...>', 'PNG files')
    .option('--json', 'print JSON on stdout')
    .action((images: string[], flags) => {
      const { model, params, inputs } = loadModel(flags.params);
      // The model's input width says the image size: square, as the IDX and PNG loaders give.
      const side = Math.sqrt(inputs);
      if (!Number.isInteger(side))
        fail(
          `--params: ${flags.params} takes ${inputs} inputs, which is no square image size (predict reads square PNGs)`,
        );
      const size = { rows: side, cols: side };
      const results = images.map((file) => {
        if (!existsSync(file)) fail(`no such image: ${file}`);
        const pixels = decodeDigitPng(
          readDataFile(file, maxPngBytes(size), 'PNG file'),
          file,
          size,
        );
        const x = rawOf(softmax(model.apply(params, pixelsRow(pixels))));
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
