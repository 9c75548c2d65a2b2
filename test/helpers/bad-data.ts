import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { deflateSync, gzipSync } from 'node:zlib';
import { IDX_FILES } from '../../packages/mnist/src/data.js';
import { encodeIdx } from '../../packages/mnist/src/idx.js';
import { chunk, ihdr, pngOf } from '../../packages/mnist/test/png-helpers.js';

/** Data folders for the CLI's bad-input and other-size tests. */

type IdxFiles = Partial<Record<string, Uint8Array>>;

/**
 * `count` train and `count` test samples of side × side pixels (a deterministic pattern, labels
 * 0..9 in turn), as the four IDX files, uncompressed (`writeIdxDir` gzips them).
 */
export const tinyIdxFiles = (count: number, side: number): IdxFiles => {
  const split = (offset: number) => ({
    images: encodeIdx(
      [count, side, side],
      Uint8Array.from({ length: count * side * side }, (_, i) => (i * 37 + offset) % 256),
    ),
    labels: encodeIdx(
      [count],
      Uint8Array.from({ length: count }, (_, i) => (i + offset) % 10),
    ),
  });
  const [train, test] = [split(0), split(3)];
  return {
    [IDX_FILES.train.images]: train.images,
    [IDX_FILES.train.labels]: train.labels,
    [IDX_FILES.test.images]: test.images,
    [IDX_FILES.test.labels]: test.labels,
  };
};

/** Writes each file gzip-compressed into `dir` (no SHA256SUMS). */
export const writeIdxDir = (dir: string, files: IdxFiles): void => {
  mkdirSync(dir, { recursive: true });
  for (const [name, bytes] of Object.entries(files))
    if (bytes) writeFileSync(join(dir, name), gzipSync(bytes));
};

/** 65 bytes of PNG declaring 16000 × 16000 gray pixels (a decoder would inflate 256 MB). */
export const hugeIhdrPng = (): Buffer =>
  pngOf(ihdr(16000, 16000), chunk('IDAT', deflateSync(Buffer.alloc(0))), chunk('IEND'));

/** The report's PNG layout with `png` as its one training and its one test image. */
export const writeImageLayout = (root: string, png: Uint8Array): void => {
  for (const sub of ['train_data', 'test_data', 'labels'])
    mkdirSync(join(root, sub), { recursive: true });
  writeFileSync(join(root, 'train_data', '00000.png'), png);
  writeFileSync(join(root, 'test_data', '00000.png'), png);
  writeFileSync(join(root, 'labels', 'train_label.txt'), '0\n');
  writeFileSync(join(root, 'labels', 'test_label.txt'), '0\n');
};
