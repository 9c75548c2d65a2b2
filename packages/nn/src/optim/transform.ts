import { add, div, filled, type Matrix, mul, sqrt, square, sub, treeMap } from '@difftape/core';
import { type ParamRole, type Params, paramRole } from '../layer.js';
import { atLeast, between, checkNumber, finiteNumber } from '../numbers.js';
import type { Regulariser } from '../regularisers.js';
import { type GradientTransformation, zipParams } from './base.js';
import { own, ownershipAware, scaleOwned } from './owned.js';
import { type LearningRate, rateAt } from './schedule.js';

const zerosLike = (params: Params): Params =>
  treeMap(params, (m: Matrix) => filled(m.rows, m.columns, 0));
const scaled = (tree: Params, s: number): Params => treeMap(tree, (m: Matrix) => scaleOwned(m, s));
const owned = (tree: Params): Params => treeMap(tree, own);

/** State of the transformations that count their steps. */
export interface CountState {
  readonly count: number;
}

/** updates ← s · updates. */
export const scale = (s: number): GradientTransformation<Record<string, never>> => {
  checkNumber('scale', s, finiteNumber);
  return ownershipAware({ init: () => ({}), update: (u, state) => [scaled(u, s), state] });
};

/** updates ← −lr(step) · updates: the descent step itself. */
export const scaleByLearningRate = (lr: LearningRate): GradientTransformation<CountState> => {
  if (typeof lr === 'number') checkNumber('learning rate', lr, atLeast(0));
  return ownershipAware({
    init: () => ({ count: 0 }),
    update: (u, { count }) => [scaled(u, -rateAt(lr, count)), { count: count + 1 }],
  });
};

/** State of `traceMomentum`: the running velocity. */
export interface MomentumState {
  readonly velocity: Params;
}

/** v ← g + β v; updates ← v, or g + β v with Nesterov. */
export const traceMomentum = (
  beta: number,
  nesterov = false,
): GradientTransformation<MomentumState> => {
  checkNumber('momentum beta', beta, between(0, 1));
  return ownershipAware({
    init: (params) => ({ velocity: zerosLike(params) }),
    update: (g, { velocity }) => {
      const v = zipParams(g, velocity, (gi, vi) => add(gi, mul(vi, beta)));
      // v is kept in the state, so only Nesterov's fresh sum is owned
      const u = nesterov ? owned(zipParams(g, v, (gi, vi) => add(gi, mul(vi, beta)))) : v;
      return [u, { velocity: v }];
    },
  });
};

/** Options of `scaleByAdam` (Kingma & Ba's defaults). */
export interface AdamOptions {
  readonly b1?: number;
  readonly b2?: number;
  readonly eps?: number;
}

/** State of `scaleByAdam`: step count and the two moment estimates. */
export interface AdamState {
  readonly count: number;
  readonly mu: Params;
  readonly nu: Params;
}

/** m ← b1 m + (1−b1) g, v ← b2 v + (1−b2) g²; updates ← m̂ / (√v̂ + eps) with bias correction. */
export const scaleByAdam = ({
  b1 = 0.9,
  b2 = 0.999,
  eps = 1e-8,
}: AdamOptions = {}): GradientTransformation<AdamState> => {
  checkNumber('adam b1', b1, between(0, 1));
  checkNumber('adam b2', b2, between(0, 1));
  checkNumber('adam eps', eps, atLeast(0));
  return ownershipAware({
    init: (params) => ({ count: 0, mu: zerosLike(params), nu: zerosLike(params) }),
    update: (g, { count, mu, nu }) => {
      const t = count + 1;
      const m = zipParams(g, mu, (gi, mi) => add(mul(mi, b1), mul(gi, 1 - b1)));
      const v = zipParams(g, nu, (gi, vi) => add(mul(vi, b2), mul(square(gi), 1 - b2)));
      const c1 = 1 - b1 ** t;
      const c2 = 1 - b2 ** t;
      const u = owned(zipParams(m, v, (mi, vi) => div(div(mi, c1), add(sqrt(div(vi, c2)), eps))));
      return [u, { count: t, mu: m, nu: v }];
    },
  });
};

/**
 * updates ← updates + λ ∂R(params), leaf by leaf, each with its role (`paramRole` of its path);
 * `where` picks leaves by path (default: all).
 */
export const addRegulariser = (
  reg: Regulariser,
  lambda: number,
  where: (path: string) => boolean = () => true,
): GradientTransformation<Record<string, never>> => {
  checkNumber(`addRegulariser(${reg.name}) lambda`, lambda, atLeast(0));
  return ownershipAware({
    init: () => ({}),
    update: (g, state, params) => {
      if (lambda === 0) return [g, state];
      const addScaled =
        reg.addScaled ??
        ((gi: Matrix, p: Matrix, _: number, role: ParamRole) =>
          own(add(gi, mul(reg.subgradient(p, role), lambda))));
      const u = zipParams(g, params, (gi, p, path) =>
        where(path) ? addScaled(gi, p, lambda, paramRole(path)) : gi,
      );
      return [u, state];
    },
  });
};

/** Clips updates so their global L2 norm is at most `maxNorm`. */
export const clipByGlobalNorm = (
  maxNorm: number,
): GradientTransformation<Record<string, never>> => {
  checkNumber('clipByGlobalNorm', maxNorm, atLeast(0));
  return ownershipAware({
    init: () => ({}),
    update: (g, state) => {
      let sq = 0;
      treeMap(g, (m: Matrix) => {
        for (const v of m.to1DArray()) sq += v * v;
        return m;
      });
      const norm = Math.sqrt(sq);
      return [norm > maxNorm ? scaled(g, maxNorm / norm) : g, state];
    },
  });
};

/** updates ← updates + λ·params (decoupled weight decay); `where` picks leaves by path (default: all). */
export const addDecayedWeights = (
  weightDecay: number,
  where: (path: string) => boolean = () => true,
): GradientTransformation<Record<string, never>> => {
  checkNumber('weight decay', weightDecay, atLeast(0));
  return ownershipAware({
    init: () => ({}),
    update: (u, state, params) => [
      zipParams(u, params, (ui, p, path) =>
        where(path) && weightDecay !== 0 ? own(add(ui, mul(p, weightDecay))) : ui,
      ),
      state,
    ],
  });
};

/** Options of `scaleByRms` and `scaleByStddev` (optax's defaults). */
export interface RmsOptions {
  /** Decay of the moving averages. Default 0.9. */
  readonly decay?: number;
  /** Added under the square root. Default 1e-8. */
  readonly eps?: number;
  /** Where the mean square starts. Default 0. */
  readonly initialScale?: number;
}

/** State of `scaleByRms`: the moving mean of the squared gradients. */
export interface RmsState {
  readonly nu: Params;
}

const rmsOptions = (name: string, { decay = 0.9, eps = 1e-8, initialScale = 0 }: RmsOptions) => ({
  decay: checkNumber(`${name} decay`, decay, between(0, 1)),
  eps: checkNumber(`${name} eps`, eps, atLeast(0)),
  initialScale: checkNumber(`${name} initialScale`, initialScale, atLeast(0)),
});

const filledLike = (params: Params, v: number): Params =>
  treeMap(params, (m: Matrix) => filled(m.rows, m.columns, v));

const moment = (g: Params, prev: Params, decay: number, f: (m: Matrix) => Matrix): Params =>
  zipParams(g, prev, (gi, pi) => add(mul(pi, decay), mul(f(gi), 1 - decay)));

/** ν ← d ν + (1−d) g²; updates ← g / √(ν + eps) (RMSprop's scaling, as optax writes it). */
export const scaleByRms = (options: RmsOptions = {}): GradientTransformation<RmsState> => {
  const { decay, eps, initialScale } = rmsOptions('rmsprop', options);
  return ownershipAware({
    init: (params) => ({ nu: filledLike(params, initialScale) }),
    update: (g, { nu }) => {
      const v = moment(g, nu, decay, (gi) => square(gi));
      return [owned(zipParams(g, v, (gi, vi) => div(gi, sqrt(add(vi, eps))))), { nu: v }];
    },
  });
};

/** State of `scaleByStddev`: moving means of the gradients and of their squares. */
export interface StddevState {
  readonly mu: Params;
  readonly nu: Params;
}

/** μ ← d μ + (1−d) g, ν ← d ν + (1−d) g²; updates ← g / √(ν − μ² + eps) (centred RMSprop). */
export const scaleByStddev = (options: RmsOptions = {}): GradientTransformation<StddevState> => {
  const { decay, eps, initialScale } = rmsOptions('rmsprop', options);
  return ownershipAware({
    init: (params) => ({ mu: zerosLike(params), nu: filledLike(params, initialScale) }),
    update: (g, { mu, nu }) => {
      const m = moment(g, mu, decay, (gi) => gi);
      const v = moment(g, nu, decay, (gi) => square(gi));
      const variance = zipParams(m, v, (mi, vi) => sub(vi, square(mi)));
      const u = owned(zipParams(g, variance, (gi, si) => div(gi, sqrt(add(si, eps)))));
      return [u, { mu: m, nu: v }];
    },
  });
};
