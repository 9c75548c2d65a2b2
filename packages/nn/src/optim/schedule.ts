import { atLeast, checkNumber } from '../numbers.js';

/** A learning rate as a function of the step count (0 for the first update). */
export type Schedule = (step: number) => number;

/** A fixed number, or a schedule. */
export type LearningRate = number | Schedule;

/** The learning rate at `step`. */
export const rateAt = (lr: LearningRate, step: number): number =>
  typeof lr === 'number' ? lr : lr(step);

/** Cosine decay from `init` to `init·alpha` over `steps`, then constant. */
export const cosineDecay = (init: number, steps: number, alpha = 0): Schedule => {
  checkNumber('cosineDecay: init', init, atLeast(0));
  checkNumber('cosineDecay: steps', steps, atLeast(1));
  return (step) => {
    const t = Math.min(step, steps) / steps;
    return init * ((1 - alpha) * 0.5 * (1 + Math.cos(Math.PI * t)) + alpha);
  };
};

/** Linear warm-up from 0 to `peak` over `warmup` steps, then cosine decay to 0 by `total` steps. */
export const warmupCosineDecay = (peak: number, warmup: number, total: number): Schedule => {
  checkNumber('warmupCosineDecay: peak', peak, atLeast(0));
  checkNumber('warmupCosineDecay: warmup', warmup, atLeast(0));
  if (!(total > warmup))
    throw new RangeError(`warmupCosineDecay: total (${total}) must exceed warmup (${warmup})`);
  const decay = cosineDecay(peak, total - warmup);
  return (step) => (step < warmup ? (peak * (step + 1)) / (warmup + 1) : decay(step - warmup));
};

/** `init · rate^(step / every)`, stepwise when `staircase`. */
export const exponentialDecay = (
  init: number,
  rate: number,
  every: number,
  staircase = false,
): Schedule => {
  checkNumber('exponentialDecay: init', init, atLeast(0));
  checkNumber('exponentialDecay: rate', rate, atLeast(0));
  checkNumber('exponentialDecay: every', every, atLeast(1));
  return (step) => init * rate ** (staircase ? Math.floor(step / every) : step / every);
};
