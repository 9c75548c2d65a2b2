/** Memory readings around a run of steps: heap, RSS and typed-array storage, GC pauses. */
import { PerformanceObserver } from 'node:perf_hooks';

/** Memory at one point, in MB. */
export interface MemorySample {
  readonly heapUsedMB: number;
  readonly rssMB: number;
  /** Typed-array storage (matrix rows), outside the JS heap. */
  readonly arrayBuffersMB: number;
}

export const sampleMemory = (): MemorySample => {
  const m = process.memoryUsage();
  const mb = (b: number) => b / 2 ** 20;
  return {
    heapUsedMB: mb(m.heapUsed),
    rssMB: mb(m.rss),
    arrayBuffersMB: mb(m.arrayBuffers),
  };
};

export const forceGc = (): boolean => {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (typeof gc !== 'function') return false;
  gc();
  gc();
  return true;
};

/** Total GC pause time over a span, from V8's gc performance entries. */
export const gcTimer = () => {
  let ms = 0;
  let count = 0;
  const observer = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      ms += e.duration;
      count++;
    }
  });
  observer.observe({ entryTypes: ['gc'] });
  return {
    /** Stops observing; waits a tick so buffered entries are delivered first. */
    stop: async (): Promise<{ gcMs: number; gcCount: number }> => {
      await new Promise((resolve) => setTimeout(resolve, 50));
      observer.disconnect();
      return { gcMs: ms, gcCount: count };
    },
  };
};

/** What a chained run of steps did to memory. */
export interface MemoryRun {
  readonly steps: number;
  readonly seconds: number;
  readonly firstLoss: number;
  readonly lastLoss: number;
  readonly forcedGc: boolean;
  /** After a forced GC (when available), before the first step. */
  readonly before: MemorySample;
  /** The largest reading over samples every 25 steps, without forcing GC. */
  readonly peak: MemorySample;
  /** After a forced GC (when available), after the last step. */
  readonly after: MemorySample;
  readonly gcMs: number;
  readonly gcCount: number;
  /** tfjs only: live tensors before and after. */
  readonly tensorsBefore?: number;
  readonly tensorsAfter?: number;
}

/** Runs `steps` chained steps (`step(i)` returns the loss), sampling memory around and during. */
export const memoryRun = async (
  steps: number,
  step: (i: number) => number,
  tensors?: () => number,
): Promise<MemoryRun> => {
  const forcedGc = forceGc();
  const before = sampleMemory();
  const tensorsBefore = tensors?.();
  const peak = { ...before };
  const timer = gcTimer();
  const start = performance.now();
  let firstLoss = Number.NaN;
  let lastLoss = Number.NaN;
  for (let i = 0; i < steps; i++) {
    lastLoss = step(i);
    if (i === 0) firstLoss = lastLoss;
    if (i % 25 === 24) {
      const s = sampleMemory();
      peak.heapUsedMB = Math.max(peak.heapUsedMB, s.heapUsedMB);
      peak.rssMB = Math.max(peak.rssMB, s.rssMB);
      peak.arrayBuffersMB = Math.max(peak.arrayBuffersMB, s.arrayBuffersMB);
    }
  }
  const seconds = (performance.now() - start) / 1000;
  const { gcMs, gcCount } = await timer.stop();
  forceGc();
  const after = sampleMemory();
  return {
    steps,
    seconds,
    firstLoss,
    lastLoss,
    forcedGc,
    before,
    peak,
    after,
    gcMs,
    gcCount,
    ...(tensors && { tensorsBefore, tensorsAfter: tensors() }),
  };
};
