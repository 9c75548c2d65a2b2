import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadIdxDir, makeDataset, type Splits, subset } from '../src/data.js';
import { DataError } from '../src/data-error.js';
import { decodeDigitPng, encodeDigitPng } from '../src/digit-png.js';
import { compareFileNames, exportImages, loadImageDir, parseLabelFile } from '../src/images.js';

const dirs: string[] = [];
const tempDir = async (): Promise<string> => {
  const dir = await mkdtemp(join(tmpdir(), 'difftape-png-'));
  dirs.push(dir);
  return dir;
};
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

/** A PNG of `width` x `height` from RGBA bytes, written as `colorType` at `bitDepth`. */
const pngFromRgba = (
  rgba: number[],
  width: number,
  height: number,
  colorType: 0 | 2 | 4 | 6,
  bitDepth: 8 | 16 = 8,
) => {
  const png = new PNG({ width, height });
  png.data = Buffer.from(rgba);
  return PNG.sync.write(png, { colorType, inputColorType: 6, bitDepth });
};

/** n synthetic 28x28 digits whose pixels sweep all byte values. */
const synthetic = (n: number, offset: number) =>
  makeDataset(
    Uint8Array.from({ length: n * 784 }, (_, i) => (i * 7 + offset) % 256),
    Uint8Array.from({ length: n }, (_, i) => (i * 3 + offset) % 10),
    28,
    28,
    'synthetic',
  );

describe('export then load', () => {
  let mnist: Splits;
  beforeAll(() => {
    mnist = loadIdxDir();
  });

  it('round-trips 20 samples per split byte for byte', async () => {
    const root = join(await tempDir(), 'out');
    const written = await exportImages(mnist, root, { limit: 20 });
    expect(written).toEqual({ train: 20, test: 20 });
    expect((await readdir(join(root, 'train_data'))).slice(0, 2)).toEqual([
      '00000.png',
      '00001.png',
    ]);
    const back = await loadImageDir(root);
    for (const split of ['train', 'test'] as const) {
      const want = subset(mnist[split], 20);
      expect(back[split].count).toBe(20);
      expect([back[split].rows, back[split].cols]).toEqual([28, 28]);
      expect(Buffer.from(back[split].images).equals(Buffer.from(want.images))).toBe(true);
      expect(Array.from(back[split].labels)).toEqual(Array.from(want.labels));
    }
    expect((await readFile(join(root, 'labels', 'train_label.txt'), 'utf8')).split('\n')[0]).toBe(
      '5',
    );
  });

  it('round-trips every byte value', async () => {
    const data = { train: synthetic(3, 0), test: synthetic(2, 100) };
    const root = await tempDir();
    const ticks: number[] = [];
    await exportImages(data, root, { onProgress: (done, total) => ticks.push(done / total) });
    expect(ticks.at(-1)).toBe(1);
    const back = await loadImageDir(root);
    expect(Array.from(back.train.images)).toEqual(Array.from(data.train.images));
    expect(Array.from(back.test.labels)).toEqual(Array.from(data.test.labels));
  });

  it('refuses a non-empty folder unless forced, and forcing replaces the old images', async () => {
    const root = await tempDir();
    await exportImages({ train: synthetic(4, 0), test: synthetic(4, 1) }, root);
    await expect(
      exportImages({ train: synthetic(2, 5), test: synthetic(2, 6) }, root),
    ).rejects.toThrow(/is not empty; refusing to overwrite it without force/);
    await exportImages({ train: synthetic(2, 5), test: synthetic(2, 6) }, root, { force: true });
    const back = await loadImageDir(root);
    expect(back.train.count).toBe(2);
    expect(Array.from(back.train.images)).toEqual(Array.from(synthetic(2, 5).images));
  });

  it('validates the limit', async () => {
    const root = await tempDir();
    await expect(exportImages(mnist, root, { limit: 0 })).rejects.toThrow(
      'exportImages: limit must be a positive integer, got 0',
    );
  });
});

describe('loading the layout', () => {
  /** Writes a layout whose images are given as [file name, 28x28 pixel fill value]. */
  const layout = async (train: [string, number][], trainLabels: string) => {
    const root = await tempDir();
    for (const sub of ['train_data', 'test_data', 'labels']) await mkdir(join(root, sub));
    for (const [name, value] of train)
      await writeFile(
        join(root, 'train_data', name),
        encodeDigitPng(new Uint8Array(784).fill(value)),
      );
    await writeFile(join(root, 'test_data', '0.png'), encodeDigitPng(new Uint8Array(784)));
    await writeFile(join(root, 'labels', 'train_label.txt'), trainLabels);
    await writeFile(join(root, 'labels', 'test_label.txt'), '0\n');
    return root;
  };

  it('takes images in sorted (numeric-aware) order even when created shuffled', async () => {
    // Created in a scrambled order; unpadded names, so plain string order would put 10 before 2.
    const order = [7, 2, 11, 0, 9, 4, 1, 10, 5, 3, 8, 6];
    const root = await layout(
      order.map((k) => [`${k}.png`, k * 20]),
      Array.from({ length: 12 }, (_, k) => `${k % 10}\n`).join(''),
    );
    await writeFile(join(root, 'train_data', 'notes.txt'), 'ignored');
    const { train } = await loadImageDir(root);
    expect(train.count).toBe(12);
    for (let k = 0; k < 12; k++) expect(train.images[k * 784]).toBe(k * 20);
  });

  it('rejects a label count that differs from the image count', async () => {
    const root = await layout(
      [
        ['a.png', 1],
        ['b.png', 2],
      ],
      '1\n',
    );
    await expect(loadImageDir(root)).rejects.toThrow(
      /train_data holds 2 PNG files but .*train_label\.txt has 1 labels/,
    );
  });

  it('reads symbolically linked PNGs in their place; a dangling link is named, not skipped', async () => {
    const root = await layout([['0.png', 10]], '0\n1\n');
    const elsewhere = join(await tempDir(), 'digit.png');
    await writeFile(elsewhere, encodeDigitPng(new Uint8Array(784).fill(99)));
    await symlink(elsewhere, join(root, 'train_data', '1.png'));
    const { train } = await loadImageDir(root);
    expect([train.count, train.images[0], train.images[784]]).toEqual([2, 10, 99]);
    await symlink(join(root, 'nowhere.png'), join(root, 'train_data', '2.png'));
    await writeFile(join(root, 'labels', 'train_label.txt'), '0\n1\n2\n');
    await expect(loadImageDir(root)).rejects.toThrow(
      new DataError(`${join(root, 'train_data', '2.png')}: no such file or folder (ENOENT)`),
    );
  });

  it('refuses a PNG that is a FIFO or a link to /dev/zero, without blocking or reading it', async () => {
    const root = await layout([['0.png', 10]], '0\n1\n');
    const png = join(root, 'train_data', '1.png');
    await symlink('/dev/zero', png);
    await expect(loadImageDir(root)).rejects.toThrow(
      new DataError(`${png}: a character device, expected a PNG file`),
    );
    await rm(png);
    execFileSync('mkfifo', [png]);
    await expect(loadImageDir(root)).rejects.toThrow(
      new DataError(`${png}: a FIFO, expected a PNG file`),
    );
  });

  it('names a missing folder', async () => {
    const root = await tempDir();
    await expect(loadImageDir(root)).rejects.toThrow(/missing folder .*train_data/);
  });

  it('names the file of an image of the wrong size', async () => {
    const root = await layout([['a.png', 1]], '1\n');
    await writeFile(
      join(root, 'test_data', '0.png'),
      encodeDigitPng(new Uint8Array(12), { rows: 3, cols: 4 }),
    );
    await expect(loadImageDir(root)).rejects.toThrow(
      /test_data\/0\.png: expected a 28x28 image \(width x height\), found 4x3/,
    );
    expect(
      (await loadImageDir(root, { size: { rows: 3, cols: 4 } }).catch(
        (e: Error) => e.message,
      )) as string,
    ).toMatch(/train_data\/a\.png: expected a 4x3 image/);
  });
});

describe('parseLabelFile', () => {
  it('accepts 5 and 5.0, CRLF and trailing blank lines', () => {
    expect(Array.from(parseLabelFile('5\n0.0\r\n 9.00 \n3.\n\n\n', 'l.txt'))).toEqual([5, 0, 9, 3]);
  });

  it.each([
    ['5\n5.5\n', 2, '5.5'],
    ['5\n\n3\n', 2, ''],
    ['10\n', 1, '10'],
    ['-1\n', 1, '-1'],
    ['1\nseven\n', 2, 'seven'],
    ['5e0\n', 1, '5e0'],
  ])('rejects %j at line %i', (text, line, found) => {
    expect(() => parseLabelFile(text, 'l.txt')).toThrow(
      `l.txt:${line}: expected a label 0..9 (like 5 or 5.0), found "${found}"`,
    );
  });
});

describe('decodeDigitPng', () => {
  const size = { rows: 1, cols: 3 };
  // Pixels with partial alpha; `opaque` drops it, since pngjs's encoder composites alpha onto
  // white when it writes a format without an alpha channel.
  const rgba = [10, 10, 10, 255, 255, 0, 0, 7, 0, 0, 255, 0];
  const opaque = (px: number[]) => px.map((v, i) => (i % 4 === 3 ? 255 : v));

  it('reads grayscale, gray+alpha, RGB and RGBA; colour goes through BT.601 luma, alpha is ignored', () => {
    const luma = [10, Math.round(0.299 * 255), Math.round(0.114 * 255)];
    expect(Array.from(decodeDigitPng(pngFromRgba(opaque(rgba), 3, 1, 2), 'rgb.png', size))).toEqual(
      luma,
    );
    expect(Array.from(decodeDigitPng(pngFromRgba(rgba, 3, 1, 6), 'rgba.png', size))).toEqual(luma);
    const gray = [10, 200, 3];
    const grayRgba = gray.flatMap((v, i) => [v, v, v, i * 100]);
    expect(Array.from(decodeDigitPng(pngFromRgba(grayRgba, 3, 1, 4), 'ga.png', size))).toEqual(
      gray,
    );
    expect(
      Array.from(decodeDigitPng(pngFromRgba(opaque(grayRgba), 3, 1, 0), 'g.png', size)),
    ).toEqual(gray);
  });

  it('maps every gray level to itself through the RGB path', () => {
    const levels = Array.from({ length: 256 }, (_, v) => v);
    const png = pngFromRgba(
      levels.flatMap((v) => [v, v, v, 255]),
      256,
      1,
      2,
    );
    expect(Array.from(decodeDigitPng(png, 'ramp.png', { rows: 1, cols: 256 }))).toEqual(levels);
  });

  it('rejects other formats and sizes, naming the file', () => {
    expect(() => decodeDigitPng(pngFromRgba(rgba, 3, 1, 0, 16), 'deep.png', size)).toThrow(
      'deep.png: expected an 8-bit grayscale, gray+alpha, RGB or RGBA PNG, found colour type 0 at 16 bits',
    );
    expect(() => decodeDigitPng(pngFromRgba(rgba, 3, 1, 0), 'small.png')).toThrow(
      'small.png: expected a 28x28 image (width x height), found 3x1',
    );
    expect(() => decodeDigitPng(Buffer.from('not a png'), 'junk.png')).toThrow(
      /junk\.png: not a PNG file \(expected the 8-byte PNG signature\)/,
    );
  });
});

describe('compareFileNames', () => {
  it('orders digit runs numerically and everything else by code unit', () => {
    const names = ['10.png', '2.png', '00001.png', 'b.png', 'a10.png', 'a9.png', '1.png'];
    expect([...names].sort(compareFileNames)).toEqual([
      '00001.png',
      '1.png',
      '2.png',
      '10.png',
      'a9.png',
      'a10.png',
      'b.png',
    ]);
  });
});
