import { mkdir, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CLASSES, type Dataset, makeDataset, type Splits } from './data.js';
import { DataError } from './data-error.js';
import {
  decodeDigitPng,
  encodeDigitPng,
  type ImageSize,
  MNIST_SIZE,
  maxPngBytes,
} from './digit-png.js';
import { fileError, readDataFileAsync, readDataText } from './read-file.js';

/**
 * The report's own data layout: a root folder holding
 *
 *   train_data/*.png   test_data/*.png   labels/train_label.txt   labels/test_label.txt
 *
 * with one integer label per line, the n-th line labelling the n-th image in sorted file-name order.
 * The report listed the images in raw directory order (`os.listdir`), which depends on the file
 * system and does not reliably match the label files; we always sort (see `compareFileNames`).
 */

/** Folder and file names of the layout, relative to the root. */
export const LAYOUT = {
  train: { images: 'train_data', labels: join('labels', 'train_label.txt') },
  test: { images: 'test_data', labels: join('labels', 'test_label.txt') },
} as const;

/** Reports progress as files are read or written (`done` of `total`). */
export type Progress = (done: number, total: number) => void;

// Several files in flight at once hides file-system latency; decoding and encoding stay on this thread.
const IN_FLIGHT = 16;

const forEachLimited = async (
  count: number,
  task: (i: number) => Promise<void>,
  onDone?: () => void,
) => {
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      await task(i);
      onDone?.();
    }
  };
  await Promise.all(Array.from({ length: Math.min(IN_FLIGHT, count) }, worker));
};

const chunk = /\d+|\D+/g;

/**
 * Orders file names "naturally": runs of digits compare by numeric value, so `2.png` < `10.png`
 * whether or not the names are zero-padded; ties (`01` vs `1`) fall back to code-unit order.
 */
export const compareFileNames = (a: string, b: string): number => {
  const ca = a.match(chunk) ?? [];
  const cb = b.match(chunk) ?? [];
  for (let i = 0; i < Math.min(ca.length, cb.length); i++) {
    const x = ca[i]!;
    const y = cb[i]!;
    if (x === y) continue;
    if (/^\d/.test(x) && /^\d/.test(y)) {
      const nx = x.replace(/^0+(?=\d)/, '');
      const ny = y.replace(/^0+(?=\d)/, '');
      if (nx.length !== ny.length) return nx.length - ny.length;
      if (nx !== ny) return nx < ny ? -1 : 1;
    } else {
      return x < y ? -1 : 1;
    }
  }
  if (ca.length !== cb.length) return ca.length - cb.length;
  return a < b ? -1 : a > b ? 1 : 0;
};

const LABEL_LINE = /^\+?(\d+)(\.0*)?$/;

/**
 * Parses a label file: one label per line, written `5` or `5.0` (the report read them with
 * np.loadtxt); trailing blank lines are allowed; anything else is an error naming `name` and the line.
 */
export const parseLabelFile = (text: string, name: string): Uint8Array => {
  const lines = text.split(/\r?\n/);
  while (lines.length > 0 && lines[lines.length - 1]!.trim() === '') lines.pop();
  const labels = new Uint8Array(lines.length);
  lines.forEach((line, i) => {
    const m = LABEL_LINE.exec(line.trim());
    const value = m ? Number(m[1]) : Number.NaN;
    if (!(value >= 0 && value < CLASSES)) {
      throw new DataError(
        `${name}:${i + 1}: expected a label 0..${CLASSES - 1} (like 5 or 5.0), found "${line}"`,
      );
    }
    labels[i] = value;
  });
  return labels;
};

const isDir = async (path: string): Promise<boolean> =>
  (await stat(path).catch(() => undefined))?.isDirectory() ?? false;

/**
 * The PNG files of `dir`, sorted. Everything but a folder counts, symbolic links included: a link
 * to a missing file, or a FIFO, then fails when read, naming it, rather than shifting every later
 * label by one.
 */
const pngNames = async (dir: string): Promise<string[]> => {
  if (!(await isDir(dir))) {
    throw new DataError(
      `images: missing folder ${dir} (expected train_data/, test_data/ and labels/ under the root)`,
    );
  }
  const entries = await readdir(dir, { withFileTypes: true }).catch((e: unknown) => {
    throw fileError(dir, e);
  });
  return entries
    .filter((e) => !e.isDirectory() && e.name.toLowerCase().endsWith('.png'))
    .map((e) => e.name)
    .sort(compareFileNames);
};

/** The largest label file read: room for 4 million labels written like `5.0`. */
const MAX_LABEL_FILE_BYTES = 2 ** 24;

/** Options of `loadImageDir`. */
export type LoadImageOptions = { size?: ImageSize; onProgress?: Progress };

const loadSplit = async (
  root: string,
  layout: { images: string; labels: string },
  size: ImageSize,
  tick: () => void,
): Promise<Dataset> => {
  const dir = join(root, layout.images);
  const names = await pngNames(dir);
  const labelPath = join(root, layout.labels);
  const labels = parseLabelFile(
    readDataText(labelPath, MAX_LABEL_FILE_BYTES, 'label file'),
    labelPath,
  );
  if (labels.length !== names.length) {
    throw new DataError(
      `images: ${dir} holds ${names.length} PNG files but ${labelPath} has ${labels.length} labels`,
    );
  }
  const pixels = size.rows * size.cols;
  const images = new Uint8Array(names.length * pixels);
  await forEachLimited(
    names.length,
    async (i) => {
      const path = join(dir, names[i]!);
      const bytes = await readDataFileAsync(path, maxPngBytes(size), 'PNG file');
      images.set(decodeDigitPng(bytes, path, size), i * pixels);
    },
    tick,
  );
  return makeDataset(images, labels, size.rows, size.cols, dir);
};

/** Loads the report's PNG-folder layout under `root` (images in sorted file-name order). */
export const loadImageDir = async (
  root: string,
  { size = MNIST_SIZE, onProgress }: LoadImageOptions = {},
): Promise<Splits> => {
  const total =
    (await pngNames(join(root, LAYOUT.train.images))).length +
    (await pngNames(join(root, LAYOUT.test.images))).length;
  let done = 0;
  const tick = () => onProgress?.(++done, total);
  const train = await loadSplit(root, LAYOUT.train, size, tick);
  const test = await loadSplit(root, LAYOUT.test, size, tick);
  return { train, test };
};

/** Options of `exportImages`: at most `limit` samples per split; `force` writes into a non-empty root. */
export type ExportOptions = { limit?: number; force?: boolean; onProgress?: Progress };

const writeAtomic = async (path: string, text: string): Promise<void> => {
  const tmp = `${path}.tmp-${process.pid}`;
  await writeFile(tmp, text);
  await rename(tmp, path);
};

/**
 * Writes `data` in the report's layout under `root`: `00000.png`, `00001.png`, ... (8-bit
 * grayscale) and the label files, which are written last and atomically, so an interrupted export
 * never looks complete. Refuses a non-empty `root` unless `force`; with `force`, the PNG files
 * already in train_data/ and test_data/ are deleted first so the folder matches the labels.
 * Returns the number of samples written per split.
 */
export const exportImages = async (
  data: Splits,
  root: string,
  { limit, force = false, onProgress }: ExportOptions = {},
): Promise<{ train: number; test: number }> => {
  if (limit !== undefined && !(Number.isInteger(limit) && limit > 0)) {
    throw new RangeError(`exportImages: limit must be a positive integer, got ${limit}`);
  }
  const rootStat = await stat(root).catch(() => undefined);
  if (rootStat && !rootStat.isDirectory())
    throw new Error(`exportImages: ${root} exists and is not a folder`);
  if (rootStat && !force && (await readdir(root)).length > 0) {
    throw new Error(`exportImages: ${root} is not empty; refusing to overwrite it without force`);
  }
  const counts = {
    train: Math.min(limit ?? data.train.count, data.train.count),
    test: Math.min(limit ?? data.test.count, data.test.count),
  };
  const total = counts.train + counts.test;
  let done = 0;
  const tick = () => onProgress?.(++done, total);
  // Stale label files first: until the new ones land, the folder must not look complete.
  for (const split of ['train', 'test'] as const)
    await rm(join(root, LAYOUT[split].labels), { force: true });
  for (const split of ['train', 'test'] as const) {
    const ds = data[split];
    const dir = join(root, LAYOUT[split].images);
    await mkdir(dir, { recursive: true });
    for (const old of await pngNames(dir)) await rm(join(dir, old));
    const width = Math.max(5, String(counts[split] - 1).length);
    const pixels = ds.rows * ds.cols;
    const size = { rows: ds.rows, cols: ds.cols };
    await forEachLimited(
      counts[split],
      async (i) => {
        const png = encodeDigitPng(ds.images.subarray(i * pixels, (i + 1) * pixels), size);
        await writeFile(join(dir, `${String(i).padStart(width, '0')}.png`), png);
      },
      tick,
    );
  }
  await mkdir(join(root, 'labels'), { recursive: true });
  for (const split of ['train', 'test'] as const) {
    const labels = Array.from(data[split].labels.subarray(0, counts[split]));
    await writeAtomic(join(root, LAYOUT[split].labels), labels.map((l) => `${l}\n`).join(''));
  }
  return counts;
};
