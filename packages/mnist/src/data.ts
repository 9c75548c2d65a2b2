import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Matrix } from '@difftape/core';
import { gatherBytes } from '@difftape/core/kernels';
import { parseSha256Sums, verifySha256 } from './checksum.js';
import { DataError } from './data-error.js';
import { MAX_IDX_BYTES, parseIdxGz } from './idx.js';
import { readDataFile, readDataText } from './read-file.js';

/**
 * MNIST samples kept as bytes (the training set is 47 MB this way, 376 MB as float64); batches are
 * gathered to float64 on the fly by `gatherBatch`.
 */

/** `count` images of rows × cols bytes, row-major and back to back, and one label (0..9) each. */
export type Dataset = {
  readonly images: Uint8Array;
  readonly labels: Uint8Array;
  readonly count: number;
  readonly rows: number;
  readonly cols: number;
};

/** The training and test splits. */
export type Splits = { readonly train: Dataset; readonly test: Dataset };

/** The number of classes; labels are integers in 0..CLASSES-1. */
export const CLASSES = 10;

/** The folder of the bundled IDX files (works under tsx and vitest: both run this file from source). */
export const bundledDataDir: string = fileURLToPath(new URL('../data/', import.meta.url));

/** The IDX file names of each split, as distributed by Yann LeCun. */
export const IDX_FILES = {
  train: { images: 'train-images-idx3-ubyte.gz', labels: 'train-labels-idx1-ubyte.gz' },
  test: { images: 't10k-images-idx3-ubyte.gz', labels: 't10k-labels-idx1-ubyte.gz' },
} as const;

/** The checksum listing that `loadIdxDir` verifies against when a folder has one. */
export const SUMS_FILE = 'SHA256SUMS';

const isCount = (n: number): boolean => Number.isInteger(n) && n >= 0;

/**
 * Checks and builds a `Dataset`: `images` holds count × rows × cols bytes, `labels` count labels in
 * 0..9. `source` names the data in errors (e.g. a file or folder).
 */
export const makeDataset = (
  images: Uint8Array,
  labels: Uint8Array,
  rows: number,
  cols: number,
  source: string,
): Dataset => {
  if (!isCount(rows) || !isCount(cols) || rows * cols === 0) {
    throw new DataError(`${source}: image size must be positive integers, got ${rows}x${cols}`);
  }
  const count = labels.length;
  if (images.length !== count * rows * cols) {
    throw new DataError(
      `${source}: expected ${count * rows * cols} pixel bytes for ${count} labelled ${rows}x${cols} images, found ${images.length}`,
    );
  }
  const bad = labels.findIndex((l) => l >= CLASSES);
  if (bad >= 0) {
    throw new DataError(
      `${source}: label ${labels[bad]} at index ${bad} is out of range 0..${CLASSES - 1}`,
    );
  }
  return { images, labels, count, rows, cols };
};

/** The largest SHA256SUMS listing read (a few lines are expected). */
const MAX_SUMS_BYTES = 2 ** 20;

/** A gzip file is at most this much longer than what it inflates to (stored blocks' overhead). */
const gzipBound = (inflated: number): number => inflated + Math.ceil(inflated / 1000) + 1024;

const readSplit = (
  dir: string,
  files: { images: string; labels: string },
  sums: Map<string, string> | undefined,
  maxBytes: number,
): Dataset => {
  const read = (name: string): Uint8Array => {
    const path = join(dir, name);
    if (!existsSync(path)) throw new DataError(`mnist: missing data file ${path}`);
    const bytes = readDataFile(path, gzipBound(maxBytes), 'gzip-compressed IDX file');
    if (sums) {
      const expected = sums.get(name);
      if (expected === undefined)
        throw new DataError(`mnist: ${join(dir, SUMS_FILE)} has no sum for ${name}`);
      verifySha256(bytes, path, expected);
    }
    return bytes;
  };
  const images = parseIdxGz(read(files.images), files.images, 3, maxBytes);
  const labels = parseIdxGz(read(files.labels), files.labels, 1, maxBytes);
  const [count, rows, cols] = images.dims as [number, number, number];
  const [labelCount] = labels.dims as [number];
  if (labelCount !== count) {
    throw new DataError(
      `mnist: ${files.labels} has ${labelCount} labels but ${files.images} has ${count} images`,
    );
  }
  return makeDataset(images.data, labels.data, rows, cols, files.labels);
};

/** Options of `loadIdxDir`. */
export interface LoadIdxOptions {
  /** Check each file against `SHA256SUMS` in the folder when it has one (default true). */
  readonly verify?: boolean;
  /** The largest inflated IDX file (header and payload) accepted; default `MAX_IDX_BYTES`. */
  readonly maxBytes?: number;
}

/**
 * Loads the four MNIST IDX gz files from `dir` (default: the bundled copy). With `verify` (the
 * default), each file is checked against `SHA256SUMS` in `dir` when that file exists. Bad files
 * throw a `DataError` naming the file.
 */
export const loadIdxDir = (
  dir: string = bundledDataDir,
  { verify = true, maxBytes = MAX_IDX_BYTES }: LoadIdxOptions = {},
): Splits => {
  const sumsPath = join(dir, SUMS_FILE);
  const sums =
    verify && existsSync(sumsPath)
      ? parseSha256Sums(readDataText(sumsPath, MAX_SUMS_BYTES, 'checksum listing'), sumsPath)
      : undefined;
  return {
    train: readSplit(dir, IDX_FILES.train, sums, maxBytes),
    test: readSplit(dir, IDX_FILES.test, sums, maxBytes),
  };
};

/** p / 255 for every byte p, so a gather is one table read per pixel and exactly p / 255. */
const SCALE = Float64Array.from({ length: 256 }, (_, p) => p / 255);

/** The images at `indices` (not checked) as a matrix of p / 255, one row per image. */
export const gatherImages = (ds: Dataset, indices: ArrayLike<number>): Matrix => {
  const size = ds.rows * ds.cols;
  const starts = Int32Array.from(indices, (k) => k * size);
  return gatherBytes(ds.images, starts, size, SCALE);
};

const checkIndices = (ds: Dataset, indices: ArrayLike<number>, fn: string): void => {
  for (let i = 0; i < indices.length; i++) {
    const k = indices[i]!;
    if (!Number.isInteger(k) || k < 0 || k >= ds.count) {
      throw new RangeError(
        `${fn}: index ${k} at position ${i} is not an integer in 0..${ds.count - 1}`,
      );
    }
  }
};

/** The images at `indices` as an indices.length × (rows·cols) float64 matrix, pixels scaled to [0, 1]. */
export const gatherBatch = (ds: Dataset, indices: ArrayLike<number>): Matrix => {
  checkIndices(ds, indices, 'gatherBatch');
  return gatherImages(ds, indices);
};

/** The labels at `indices`. */
export const gatherLabels = (ds: Dataset, indices: ArrayLike<number>): number[] => {
  checkIndices(ds, indices, 'gatherLabels');
  return Array.from(indices, (k) => ds.labels[k]!);
};

/** The first `count` samples of `ds`, as views into its arrays (no copy). */
export const subset = (ds: Dataset, count: number): Dataset => {
  if (!Number.isInteger(count) || count < 0 || count > ds.count) {
    throw new RangeError(`subset: count must be an integer in 0..${ds.count}, got ${count}`);
  }
  const size = ds.rows * ds.cols;
  return {
    ...ds,
    count,
    images: ds.images.subarray(0, count * size),
    labels: ds.labels.subarray(0, count),
  };
};

/** The indices 0..count-1 of `ds`, in order. */
export const allIndices = (ds: Dataset): number[] => Array.from({ length: ds.count }, (_, i) => i);
