import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { parseSha256Sums, sha256Hex } from '../src/checksum.js';
import {
  allIndices,
  bundledDataDir,
  type Dataset,
  gatherBatch,
  gatherLabels,
  IDX_FILES,
  loadIdxDir,
  makeDataset,
  subset,
} from '../src/data.js';
import { DataError } from '../src/data-error.js';
import { encodeIdx } from '../src/idx.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

type Files = Record<string, Uint8Array>;

/** Tiny MNIST-shaped splits (n images of 2x3) as gz IDX files. */
const tinyFiles = (nTrain = 4, nTest = 3): Files => {
  const split = (n: number, offset: number) => ({
    images: gzipSync(
      encodeIdx(
        [n, 2, 3],
        Uint8Array.from({ length: n * 6 }, (_, i) => (i * 13 + offset) % 256),
      ),
    ),
    labels: gzipSync(
      encodeIdx(
        [n],
        Uint8Array.from({ length: n }, (_, i) => (i + offset) % 10),
      ),
    ),
  });
  const train = split(nTrain, 0);
  const test = split(nTest, 5);
  return {
    [IDX_FILES.train.images]: train.images,
    [IDX_FILES.train.labels]: train.labels,
    [IDX_FILES.test.images]: test.images,
    [IDX_FILES.test.labels]: test.labels,
  };
};

const writeDir = (files: Files, sums = true): string => {
  const dir = mkdtempSync(join(tmpdir(), 'difftape-idx-'));
  dirs.push(dir);
  for (const [name, bytes] of Object.entries(files)) writeFileSync(join(dir, name), bytes);
  if (sums) {
    const listing = Object.entries(files).map(([name, bytes]) => `${sha256Hex(bytes)}  ${name}\n`);
    writeFileSync(join(dir, 'SHA256SUMS'), listing.join(''));
  }
  return dir;
};

describe('loadIdxDir on generated files', () => {
  it('loads both splits with their shapes and labels', () => {
    const { train, test } = loadIdxDir(writeDir(tinyFiles()));
    expect([train.count, train.rows, train.cols]).toEqual([4, 2, 3]);
    expect(test.count).toBe(3);
    expect(Array.from(train.labels)).toEqual([0, 1, 2, 3]);
    expect(Array.from(test.labels)).toEqual([5, 6, 7]);
    expect(train.images[7]).toBe((7 * 13) % 256);
  });

  it('skips verification when the folder has no SHA256SUMS', () => {
    expect(loadIdxDir(writeDir(tinyFiles(), false)).train.count).toBe(4);
  });

  it('rejects a wrong checksum, naming the file and both sums', () => {
    const files = tinyFiles();
    const dir = writeDir(files);
    const good = sha256Hex(files[IDX_FILES.test.labels]!);
    const bad = gzipSync(encodeIdx([3], Uint8Array.from([1, 1, 1])));
    writeFileSync(join(dir, IDX_FILES.test.labels), bad);
    expect(() => loadIdxDir(dir)).toThrow(
      `sha256 mismatch for ${join(dir, IDX_FILES.test.labels)}: expected ${good}, got ${sha256Hex(bad)}`,
    );
    expect(loadIdxDir(dir, { verify: false }).test.labels[0]).toBe(1);
  });

  it('rejects a SHA256SUMS that lacks one of the files', () => {
    const dir = writeDir(tinyFiles());
    const listing = readFileSync(join(dir, 'SHA256SUMS'), 'utf8').split('\n');
    writeFileSync(
      join(dir, 'SHA256SUMS'),
      listing.filter((l) => !l.includes('t10k-images')).join('\n'),
    );
    expect(() => loadIdxDir(dir)).toThrow(/SHA256SUMS has no sum for t10k-images-idx3-ubyte\.gz/);
  });

  it('rejects a label count that differs from the image count', () => {
    const files = tinyFiles();
    files[IDX_FILES.train.labels] = gzipSync(encodeIdx([3], Uint8Array.from([1, 2, 3])));
    expect(() => loadIdxDir(writeDir(files))).toThrow(
      'mnist: train-labels-idx1-ubyte.gz has 3 labels but train-images-idx3-ubyte.gz has 4 images',
    );
  });

  it('rejects a label outside 0..9', () => {
    const files = tinyFiles();
    files[IDX_FILES.test.labels] = gzipSync(encodeIdx([3], Uint8Array.from([1, 10, 3])));
    expect(() => loadIdxDir(writeDir(files))).toThrow(
      't10k-labels-idx1-ubyte.gz: label 10 at index 1 is out of range 0..9',
    );
  });

  it('rejects a file that is not gzip, naming it', () => {
    const files = tinyFiles();
    files[IDX_FILES.train.images] = encodeIdx([4, 2, 3], new Uint8Array(24));
    expect(() => loadIdxDir(writeDir(files))).toThrow(
      /idx: train-images-idx3-ubyte\.gz: expected a gzip-compressed file/,
    );
  });

  it('rejects a labels file in the images slot through its magic', () => {
    const files = tinyFiles();
    files[IDX_FILES.train.images] = files[IDX_FILES.train.labels]!;
    expect(() => loadIdxDir(writeDir(files))).toThrow(
      'idx: train-images-idx3-ubyte.gz: expected magic 0x00000803, got 0x00000801',
    );
  });

  it('names a missing file', () => {
    const files = tinyFiles();
    delete files[IDX_FILES.test.images];
    expect(() => loadIdxDir(writeDir(files, false))).toThrow(
      /missing data file .*t10k-images-idx3-ubyte\.gz/,
    );
  });
});

describe('loadIdxDir on files that are not regular files', () => {
  it('refuses a data file linked to /dev/zero or a FIFO without reading it', () => {
    const dir = writeDir(tinyFiles(), false);
    const images = join(dir, IDX_FILES.train.images);
    rmSync(images);
    symlinkSync('/dev/zero', images);
    expect(() => loadIdxDir(dir)).toThrow(
      new DataError(`${images}: a character device, expected a gzip-compressed IDX file`),
    );
    rmSync(images);
    execFileSync('mkfifo', [images]);
    expect(() => loadIdxDir(dir)).toThrow(
      new DataError(`${images}: a FIFO, expected a gzip-compressed IDX file`),
    );
  });

  it('refuses a file larger than the limit from its size', () => {
    const dir = writeDir({ ...tinyFiles(), [IDX_FILES.train.images]: new Uint8Array(3000) }, false);
    expect(() => loadIdxDir(dir, { maxBytes: 10 })).toThrow(
      new DataError(
        `${join(dir, IDX_FILES.train.images)}: 3000 bytes, more than the 1035-byte limit for a gzip-compressed IDX file`,
      ),
    );
  });
});

describe('the bundled data set', () => {
  it('loads 60000 + 10000 samples of 28x28 matching SHA256SUMS; the first training label is 5', () => {
    const sums = parseSha256Sums(
      readFileSync(join(bundledDataDir, 'SHA256SUMS'), 'utf8'),
      'SHA256SUMS',
    );
    for (const name of [...Object.values(IDX_FILES.train), ...Object.values(IDX_FILES.test)]) {
      expect(sha256Hex(readFileSync(join(bundledDataDir, name)))).toBe(sums.get(name));
    }
    const { train, test } = loadIdxDir();
    expect([train.count, train.rows, train.cols]).toEqual([60000, 28, 28]);
    expect([test.count, test.rows, test.cols]).toEqual([10000, 28, 28]);
    expect(train.images.length).toBe(60000 * 784);
    expect(train.labels[0]).toBe(5);
    // The per-digit counts published with MNIST: a check that these are the real labels.
    const histogram = (labels: Uint8Array) =>
      Array.from({ length: 10 }, (_, k) => labels.filter((l) => l === k).length);
    expect(histogram(train.labels)).toEqual([
      5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949,
    ]);
    expect(histogram(test.labels)).toEqual([980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]);
  });
});

describe('batches', () => {
  const ds: Dataset = makeDataset(
    Uint8Array.from({ length: 5 * 6 }, (_, i) => (i * 37) % 256),
    Uint8Array.from([3, 1, 4, 1, 5]),
    2,
    3,
    'tiny',
  );

  it('gathers rows scaled by 1/255 in index order, repeats allowed', () => {
    const indices = [4, 0, 4];
    const m = gatherBatch(ds, indices);
    expect([m.rows, m.columns]).toEqual([3, 6]);
    indices.forEach((k, i) => {
      for (let j = 0; j < 6; j++) expect(m.get(i, j)).toBe(ds.images[k * 6 + j]! / 255);
    });
    expect(gatherLabels(ds, Uint32Array.from(indices))).toEqual([5, 3, 5]);
  });

  it('maps 0 and 255 to exactly 0 and 1', () => {
    const edge = makeDataset(Uint8Array.from([0, 255]), Uint8Array.from([0]), 1, 2, 'edge');
    expect(gatherBatch(edge, [0]).to2DArray()).toEqual([[0, 1]]);
  });

  it('rejects bad indices with their position', () => {
    expect(() => gatherBatch(ds, [0, 5])).toThrow(
      'gatherBatch: index 5 at position 1 is not an integer in 0..4',
    );
    expect(() => gatherLabels(ds, [1.5])).toThrow('gatherLabels: index 1.5 at position 0');
    expect(() => gatherBatch(ds, [-1])).toThrow(/index -1/);
  });

  it('subset takes the first samples as views', () => {
    const s = subset(ds, 2);
    expect(s.count).toBe(2);
    expect(Array.from(s.labels)).toEqual([3, 1]);
    expect(s.images.length).toBe(12);
    expect(s.images.buffer).toBe(ds.images.buffer);
    expect(gatherBatch(s, [1]).to2DArray()).toEqual(gatherBatch(ds, [1]).to2DArray());
    expect(() => subset(ds, 6)).toThrow('subset: count must be an integer in 0..5, got 6');
  });

  it('allIndices lists 0..count-1', () => {
    expect(allIndices(ds)).toEqual([0, 1, 2, 3, 4]);
  });

  it('makeDataset checks sizes and labels', () => {
    expect(() => makeDataset(new Uint8Array(5), new Uint8Array(1), 2, 3, 'src')).toThrow(
      'src: expected 6 pixel bytes for 1 labelled 2x3 images, found 5',
    );
    expect(() => makeDataset(new Uint8Array(0), new Uint8Array(0), 0, 3, 'src')).toThrow(
      /image size/,
    );
  });
});
