/**
 * Matrix-multiply kernels of @difftape/core, wasm SIMD and JS, against ml-matrix's `mmul`, at the
 * shapes of the report's 784-100-100-10 MLP with batch 50 (and an evaluation chunk of 1000); then
 * the elementwise kernels with a wasm twin (relu, the optimiser's addScaledInto), wasm against JS.
 * Run: `npx -y pnpm@12.21.0 bench` (a table) or `npx -y pnpm@12.21.0 bench --json`.
 */
import { pathToFileURL } from 'node:url';
import type { Matrix } from '@difftape/core';
import {
  alloc,
  type Gemm,
  jsAddScaledInto,
  jsGemm,
  jsRelu,
  rowsOf,
  storageOf,
  wasmAddScaledInto,
  wasmGemm,
  wasmRelu,
} from '@difftape/core/kernels';
import { gatherBatch, loadIdxDir } from '@difftape/mnist';
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

/** One benchmark line: a product by each kernel implementation and by `mmul`. */
interface MatmulCase {
  readonly name: string;
  readonly kernel: keyof Gemm;
  /** The product is m×k times k×n. */
  readonly m: number;
  readonly k: number;
  readonly n: number;
  readonly ours: (gemm: Gemm) => Matrix;
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
    ours: (g) => g.matmulNN(a, b),
    mmul: () => a.mmul(b),
  });
  const xDense = randomMatrix(rand, 50, 784);
  const xMnist = randomMatrix(rand, 50, 784, 0.8);
  const dz1 = randomMatrix(rand, 50, 100, 0.5);
  const w1 = randomMatrix(rand, 784, 100);
  const h1 = randomMatrix(rand, 50, 100, 0.5);
  const w2 = randomMatrix(rand, 100, 100);
  const w3 = randomMatrix(rand, 100, 10);
  const xEval = randomMatrix(rand, 1000, 784, 0.8);
  const xMnistT = xMnist.transpose();
  const w1T = w1.transpose();
  // MNIST's own pixels: their zeros come in runs (borders, blank rows), which the gemm skips 8 at a time
  const { train } = loadIdxDir();
  const pixels = (count: number) =>
    gatherBatch(
      train,
      Int32Array.from({ length: count }, (_, i) => i),
    );
  return [
    nn('forward, dense x', xDense, w1),
    nn('forward, x 80% zeros', xMnist, w1),
    {
      name: 'dW1 = xᵀ·dz, x 80%, dz 50% zeros',
      kernel: 'matmulTN',
      m: 784,
      k: 50,
      n: 100,
      ours: (g) => g.matmulTN(xMnist, dz1),
      mmul: () => xMnistT.mmul(dz1),
    },
    {
      name: 'dx = dz·W1ᵀ, dz 50% zeros',
      kernel: 'matmulNT',
      m: 50,
      k: 100,
      n: 784,
      ours: (g) => g.matmulNT(dz1, w1),
      mmul: () => dz1.mmul(w1T),
    },
    nn('layer 2, h 50% zeros', h1, w2),
    nn('layer 3, h 50% zeros', h1, w3),
    nn('eval chunk, x 80% zeros', xEval, w1),
    nn('forward, MNIST train[0..49]', pixels(50), w1),
    nn('eval chunk, MNIST train[0..999]', pixels(1000), w1),
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

/** One contender's median on one case. */
interface Timed {
  readonly ms: number;
  readonly gflops: number;
}

/** One result line of the matmul benchmark. */
interface MatmulResult {
  readonly name: string;
  readonly kernel: string;
  readonly shape: string;
  /** Absent where this runtime has no wasm SIMD. */
  readonly wasm?: Timed;
  readonly js: Timed;
  readonly mmul: Timed;
  /** js's median time over wasm's: how many times faster the wasm kernel is. */
  readonly wasmOverJs?: number;
  readonly rounds: number;
  readonly maxAbsDiff: number;
}

/**
 * Times every case, the kernels and `mmul` interleaved. GFLOP/s counts the nominal 2·m·k·n, also
 * where our kernels skip zeros: it is a rate of useful work on that input, not of arithmetic done.
 */
export const benchMatmul = (options: CompareOptions = {}): MatmulResult[] =>
  matmulCases(20240601).map((c) => {
    const diff = maxAbsDiff(c.ours(jsGemm), c.mmul());
    if (!(diff <= 1e-9)) throw new Error(`bench ${c.name}: ${c.kernel} and mmul differ by ${diff}`);
    const contenders = [
      { name: 'js', run: () => c.ours(jsGemm) },
      { name: 'mmul', run: c.mmul },
    ];
    const wasm = wasmGemm;
    if (wasm) contenders.push({ name: 'wasm', run: () => c.ours(wasm) });
    const results = compareInterleaved(contenders, options);
    const timed = (name: string): Timed | undefined => {
      const r = results.find((x) => x.name === name);
      return r && { ms: r.medianMs, gflops: (2 * c.m * c.k * c.n) / (r.medianMs * 1e6) };
    };
    const js = timed('js')!;
    const wasmTimed = timed('wasm');
    return {
      name: c.name,
      kernel: c.kernel,
      shape: `${c.m}x${c.k}x${c.n}`,
      ...(wasmTimed && { wasm: wasmTimed, wasmOverJs: js.ms / wasmTimed.ms }),
      js,
      mmul: timed('mmul')!,
      rounds: results[0]!.rounds,
      maxAbsDiff: diff,
    };
  });

/** A plain-text table of matmul results. */
const matmulTable = (results: readonly MatmulResult[]): string => {
  const header = [
    'case',
    'kernel',
    'm x k x n',
    'wasm ms',
    'GFLOP/s',
    'js ms',
    'GFLOP/s',
    'mmul ms',
    'GFLOP/s',
    'wasm/js',
    'rounds',
  ];
  const cells = (t: Timed | undefined) => (t ? [t.ms.toFixed(3), t.gflops.toFixed(2)] : ['-', '-']);
  const rows = results.map((r) => [
    r.name,
    r.kernel,
    r.shape,
    ...cells(r.wasm),
    ...cells(r.js),
    ...cells(r.mmul),
    r.wasmOverJs ? `${r.wasmOverJs.toFixed(1)}x` : '-',
    String(r.rounds),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => (i < 3 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!)))
      .join('  ');
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
};

/** One elementwise result: median µs per call of each kernel at one shape. */
interface ElementwiseResult {
  readonly kernel: 'relu' | 'addScaledInto';
  readonly shape: string;
  readonly jsMicros: number;
  /** Absent where this runtime has no wasm SIMD. */
  readonly wasmMicros?: number;
}

/**
 * The JS loops against their wasm kernels, interleaved: relu on a hidden layer's output (half
 * negative) at the batch's and an eval chunk's size, and the optimiser's p + u·s written into u
 * at W1's and W2's size. addScaledInto writes into its array, so each call works on the same one.
 */
export const benchElementwise = (options: CompareOptions = {}): ElementwiseResult[] => {
  const cases = [
    ...[50, 1000].map((rows) => {
      const x = randomMatrix(uniform(rows), rows, 100);
      return { kernel: 'relu' as const, rows, js: () => jsRelu(x), wasm: () => wasmRelu(x) };
    }),
    ...[784, 100].map((rows) => {
      const p = storageOf(randomMatrix(uniform(rows), rows, 100));
      const u = storageOf(randomMatrix(uniform(rows + 1), rows, 100)).slice();
      return {
        kernel: 'addScaledInto' as const,
        rows,
        js: () => jsAddScaledInto(u, p, 1 - 1e-9),
        wasm: () => wasmAddScaledInto(u, p, 1 - 1e-9),
      };
    }),
  ];
  return cases.map(({ kernel, rows, js, wasm }) => {
    const contenders = [{ name: 'js', run: js }];
    if (wasmGemm) contenders.push({ name: 'wasm', run: wasm });
    const results = compareInterleaved(contenders, options);
    const micros = (name: string) => {
      const ms = results.find((t) => t.name === name)?.medianMs;
      return ms === undefined ? undefined : ms * 1000;
    };
    const wasmMicros = micros('wasm');
    return {
      kernel,
      shape: `${rows}x100`,
      jsMicros: micros('js')!,
      ...(wasmMicros !== undefined && { wasmMicros }),
    };
  });
};

const main = (): void => {
  const json = process.argv.includes('--json');
  const options: CompareOptions = { warmupMs: 500, budgetMs: 4000, minRounds: 15 };
  const matmul = benchMatmul(options);
  const elementwise = benchElementwise(options);
  if (json) {
    console.log(JSON.stringify({ node: process.version, matmul, elementwise }, null, 2));
    return;
  }
  console.log(`matmul, median ms per call (node ${process.version}); GFLOP/s = 2·m·k·n / time`);
  console.log(matmulTable(matmul));
  console.log('\nelementwise kernels, median µs per call');
  for (const r of elementwise) {
    const wasm = r.wasmMicros;
    const ratio =
      wasm === undefined
        ? ''
        : `  wasm ${wasm.toFixed(1)}  js/wasm ${(r.jsMicros / wasm).toFixed(1)}x`;
    console.log(
      `${r.kernel.padEnd(13)}  ${r.shape.padEnd(9)}  js ${r.jsMicros.toFixed(1)}${ratio}`,
    );
  }
};

// Run only as a script, so other bench files may import benchMatmul.
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) main();
