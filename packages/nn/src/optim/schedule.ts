/** A learning rate as a function of the step count (0 for the first update). */
export type Schedule = (step: number) => number;

/** A fixed number, or a schedule. */
export type LearningRate = number | Schedule;

/** The learning rate at `step`. */
export const rateAt = (lr: LearningRate, step: number): number =>
  typeof lr === 'number' ? lr : lr(step);

const check = (what: string, v: number, min = 0): number => {
  if (!(Number.isFinite(v) && v >= min))
    throw new RangeError(`${what}: expected a finite number ≥ ${min}, got ${v}`);
  return v;
};

/** Cosine decay from `init` to `init·alpha` over `steps`, then constant. */
export const cosineDecay = (init: number, steps: number, alpha = 0): Schedule => {
  check('cosineDecay: init', init);
  check('cosineDecay: steps', steps, 1);
  return (step) => {
    const t = Math.min(step, steps) / steps;
    return init * ((1 - alpha) * 0.5 * (1 + Math.cos(Math.PI * t)) + alpha);
  };
};

/** Linear warm-up from 0 to `peak` over `warmup` steps, then cosine decay to 0 by `total` steps. */
export const warmupCosineDecay = (peak: number, warmup: number, total: number): Schedule => {
  check('warmupCosineDecay: peak', peak);
  check('warmupCosineDecay: warmup', warmup);
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
  check('exponentialDecay: init', init);
  check('exponentialDecay: rate', rate);
  check('exponentialDecay: every', every, 1);
  return (step) => init * rate ** (staircase ? Math.floor(step / every) : step / every);
};
