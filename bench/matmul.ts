/**
 * Matrix-multiply kernels of @difftape/core against ml-matrix's `mmul`, at the shapes of the
 * report's 784-100-100-10 MLP with batch 50. Run: `pnpm bench` (a table) or `pnpm bench --json`.
 */
import { pathToFileURL } from 'node:url';
import { matmulNN, matmulNT, matmulTN } from '../packages/core/src/matmul.js';
import { alloc, type Matrix, rowsOf } from '../packages/core/src/matrix.js';
import { type CompareOptions, compareInterleaved } from './timing.js';

/** A seeded uniform [0, 1) generator (mulberry32), so every run times the same inputs. */
const uniform = (seed: number): (() => number) => {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
};

/** A rows × cols matrix with entries uniform in [-1, 1), each zero with probability `zeros`. */
const randomMatrix = (rand: () => number, rows: number, cols: number, zeros = 0): Matrix => {
  const [m, out] = alloc(rows, cols);
  for (const row of out) {
    for (let j = 0; j < cols; j++) row[j] = rand() < zeros ? 0 : 2 * rand() - 1;
  }
  return m;
};

/** One benchmark line: a kernel call and the `mmul` call that computes the same product. */
interface MatmulCase {
  readonly name: string;
  readonly kernel: 'matmulNN' | 'matmulTN' | 'matmulNT';
  /** The product is m×k times k×n. */
  readonly m: number;
  readonly k: number;
  readonly n: number;
  readonly ours: () => Matrix;
  readonly mmul: () => Matrix;
}

/** The cases. TN and NT give `mmul` its operand already transposed, outside the timed call. */
const matmulCases = (seed: number): MatmulCase[] => {
  const rand = uniform(seed);
  const nn = (name: string, a: Matrix, b: Matrix): MatmulCase => ({
    name,
    kernel: 'matmulNN',
    m: a.rows,
    k: a.columns,
    n: b.columns,
    ours: () => matmulNN(a, b),
    mmul: () => a.mmul(b),
  });
  const xDense = randomMatrix(rand, 50, 784);
  const xMnist = randomMatrix(rand, 50, 784, 0.8);
  const dz1 = randomMatrix(rand, 50, 100, 0.5);
  const w1 = randomMatrix(rand, 784, 100);
  const h1 = randomMatrix(rand, 50, 100, 0.5);
  const w2 = randomMatrix(rand, 100, 100);
  const xMnistT = xMnist.transpose();
  const w1T = w1.transpose();
  return [
    nn('forward, dense x', xDense, w1),
    nn('forward, x 80% zeros', xMnist, w1),
    {
      name: 'dW1 = xᵀ·dz, x 80%, dz 50% zeros',
      kernel: 'matmulTN',
      m: 784,
      k: 50,
      n: 100,
      ours: () => matmulTN(xMnist, dz1),
      mmul: () => xMnistT.mmul(dz1),
    },
    {
      name: 'dx = dz·W1ᵀ, dz 50% zeros',
      kernel: 'matmulNT',
      m: 50,
      k: 100,
      n: 784,
      ours: () => matmulNT(dz1, w1),
      mmul: () => dz1.mmul(w1T),
    },
    nn('layer 2, h 50% zeros', h1, w2),
  ];
};

/** The largest |x − y| over two equally shaped matrices. */
const maxAbsDiff = (x: Matrix, y: Matrix): number => {
  const xs = rowsOf(x);
  const ys = rowsOf(y);
  let worst = 0;
  xs.forEach((row, i) => {
    row.forEach((v, j) => {
      worst = Math.max(worst, Math.abs(v - ys[i]![j]!));
    });
  });
  return worst;
};

/** One result line of the matmul benchmark. */
interface MatmulResult {
  readonly name: string;
  readonly kernel: string;
  readonly shape: string;
  readonly oursMs: number;
  readonly oursGflops: number;
  readonly mmulMs: number;
  readonly mmulGflops: number;
  /** mmul's median time over ours: how many times faster ours is. */
  readonly speedup: number;
  readonly rounds: number;
  readonly maxAbsDiff: number;
}

/**
 * Times every case, ours and `mmul` interleaved. GFLOP/s counts the nominal 2·m·k·n, also where
 * our kernels skip zeros: it is a rate of useful work on that input, not of arithmetic done.
 */
export const benchMatmul = (options: CompareOptions = {}): MatmulResult[] =>
  matmulCases(20240601).map((c) => {
    const diff = maxAbsDiff(c.ours(), c.mmul());
    if (!(diff <= 1e-9)) throw new Error(`bench ${c.name}: ${c.kernel} and mmul differ by ${diff}`);
    const [ours, mmul] = compareInterleaved(
      [
        { name: c.kernel, run: c.ours },
        { name: 'mmul', run: c.mmul },
      ],
      options,
    );
    const gflops = (ms: number) => (2 * c.m * c.k * c.n) / (ms * 1e6);
    return {
      name: c.name,
      kernel: c.kernel,
      shape: `${c.m}x${c.k}x${c.n}`,
      oursMs: ours!.medianMs,
      oursGflops: gflops(ours!.medianMs),
      mmulMs: mmul!.medianMs,
      mmulGflops: gflops(mmul!.medianMs),
      speedup: mmul!.medianMs / ours!.medianMs,
      rounds: ours!.rounds,
      maxAbsDiff: diff,
    };
  });

/** A plain-text table of matmul results. */
const matmulTable = (results: readonly MatmulResult[]): string => {
  const header = [
    'case',
    'kernel',
    'm x k x n',
    'ours ms',
    'GFLOP/s',
    'mmul ms',
    'GFLOP/s',
    'speedup',
    'rounds',
  ];
  const rows = results.map((r) => [
    r.name,
    r.kernel,
    r.shape,
    r.oursMs.toFixed(3),
    r.oursGflops.toFixed(2),
    r.mmulMs.toFixed(3),
    r.mmulGflops.toFixed(2),
    `${r.speedup.toFixed(1)}x`,
    String(r.rounds),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => (i < 3 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!)))
      .join('  ');
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
};

const main = (): void => {
  const json = process.argv.includes('--json');
  const options: CompareOptions = { warmupMs: 1000, budgetMs: 7000, minRounds: 15 };
  const matmul = benchMatmul(options);
  if (json) {
    console.log(JSON.stringify({ node: process.version, matmul }, null, 2));
    return;
  }
  console.log(`matmul, median ms per call (node ${process.version}); GFLOP/s = 2·m·k·n / time`);
  console.log(matmulTable(matmul));
};

// Run only as a script, so other bench files may import benchMatmul.
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) main();
