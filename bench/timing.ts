/**
 * Timing helpers for bench scripts on a shared, noisy machine: contenders are interleaved round by
 * round (alternating their order), so drift in the machine's load hits all of them alike, and only
 * medians are reported.
 */

/** The median of `xs` (the mean of the two middle values for an even count); NaN when empty. */
export const median = (xs: readonly number[]): number => {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((x, y) => x - y);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};

/** Keeps results reachable so the engine cannot drop a call whose result is unused. */
let _sink: unknown;

/** Milliseconds per call of `run`, averaged over `reps` back-to-back calls. */
export const timeIt = (run: () => unknown, reps: number): number => {
  const start = performance.now();
  for (let r = 0; r < reps; r++) _sink = run();
  return (performance.now() - start) / reps;
};

/** Something to time, under a name. */
export interface Contender {
  readonly name: string;
  readonly run: () => unknown;
}

/** How long to warm up and how long, or how many rounds, to measure. */
export interface CompareOptions {
  /** Untimed calls of each contender first, to let the JIT settle (default 1 000 ms in all). */
  readonly warmupMs?: number;
  /** Stop after this much measuring time once `minRounds` are done (default 5 000 ms). */
  readonly budgetMs?: number;
  /** At least this many rounds, whatever the budget (default 15). */
  readonly minRounds?: number;
  /** One sample batches enough calls to last about this long, against timer noise (default 2 ms). */
  readonly sampleMs?: number;
}

/** The median milliseconds per call of one contender, over `rounds` samples. */
export interface Timing {
  readonly name: string;
  readonly medianMs: number;
  readonly rounds: number;
  readonly repsPerSample: number;
}

/**
 * Times the contenders interleaved: each round takes one sample of each, in alternating order, and
 * each contender's result is the median over the rounds.
 */
export const compareInterleaved = (
  contenders: readonly Contender[],
  options: CompareOptions = {},
): Timing[] => {
  const { warmupMs = 1000, budgetMs = 5000, minRounds = 15, sampleMs = 2 } = options;
  const reps = contenders.map(() => 1);
  const warmupEnd = performance.now() + warmupMs;
  do {
    contenders.forEach((c, i) => {
      const ms = timeIt(c.run, reps[i]!);
      reps[i] = Math.max(1, Math.ceil(sampleMs / Math.max(ms, 1e-6)));
    });
  } while (performance.now() < warmupEnd);

  const samples: number[][] = contenders.map(() => []);
  const end = performance.now() + budgetMs;
  for (let round = 0; round < minRounds || performance.now() < end; round++) {
    const order = contenders.map((_, i) => i);
    if (round % 2 === 1) order.reverse();
    for (const i of order) samples[i]!.push(timeIt(contenders[i]!.run, reps[i]!));
  }
  return contenders.map((c, i) => ({
    name: c.name,
    medianMs: median(samples[i]!),
    rounds: samples[i]!.length,
    repsPerSample: reps[i]!,
  }));
};
