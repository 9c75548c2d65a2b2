import { map, mulPositive as mulPositiveKernel, relu as reluKernel } from '../kernels.js';
import { defineOp, type Op } from '../op.js';
import type { Tensor } from '../tape.js';
import { div, mul, sub } from './arithmetic.js';

type Unary = [x: Tensor];

/** eˣ. */
export const exp: Op<Unary> = defineOp<Unary>({
  name: 'exp',
  forward: (x) => map(x, Math.exp),
  // d eˣ = eˣ dx
  vjp: [(g, out) => mul(g, out)],
});

/** Natural logarithm. */
export const log: Op<Unary> = defineOp<Unary>({
  name: 'log',
  forward: (x) => map(x, Math.log),
  // d log x = dx / x
  vjp: [(g, _out, x) => div(g, x)],
});

/** Hyperbolic tangent. */
export const tanh: Op<Unary> = defineOp<Unary>({
  name: 'tanh',
  forward: (x) => map(x, Math.tanh),
  // d tanh x = (1 − tanh² x) dx
  vjp: [(g, out) => mul(g, sub(1, square(out)))],
});

const logistic = (v: number): number =>
  v >= 0 ? 1 / (1 + Math.exp(-v)) : Math.exp(v) / (1 + Math.exp(v));

/** The logistic function 1 / (1 + e⁻ˣ), stable for large |x|. */
export const sigmoid: Op<Unary> = defineOp<Unary>({
  name: 'sigmoid',
  forward: (x) => map(x, logistic),
  // d σ(x) = σ(x)(1 − σ(x)) dx
  vjp: [(g, out) => mul(g, mul(out, sub(1, out)))],
});

/** max(0, x), with relu′(0) = 0. */
export const relu: Op<Unary> = defineOp<Unary>({
  name: 'relu',
  forward: reluKernel,
  // d relu(x) = [x > 0] dx
  vjp: [(g, _out, x) => mulPositive(g, x)],
});

/** g·[x > 0]: relu's backward as one op (mul(g, step(x)) in two), with the same bits. */
const mulPositive: Op<[g: Tensor, x: Tensor]> = defineOp<[g: Tensor, x: Tensor]>({
  name: 'mulPositive',
  forward: mulPositiveKernel,
  // linear in g; piecewise constant in x
  vjp: [(h, _out, _g, x) => mulPositive(h, x), null],
});

/** |x|, with |·|′(0) = 0. */
export const abs: Op<Unary> = defineOp<Unary>({
  name: 'abs',
  forward: (x) => map(x, Math.abs),
  // d|x| = sign(x) dx
  vjp: [(g, _out, x) => mul(g, sign(x))],
});

/** x². */
export const square: Op<Unary> = defineOp<Unary>({
  name: 'square',
  forward: (x) => map(x, (v) => v * v),
  // d x² = 2x dx
  vjp: [(g, _out, x) => mul(g, mul(2, x))],
});

/** √x. */
export const sqrt: Op<Unary> = defineOp<Unary>({
  name: 'sqrt',
  forward: (x) => map(x, Math.sqrt),
  // d √x = dx / (2√x)
  vjp: [(g, out) => div(g, mul(2, out))],
});

/** 1 where x > 0, else 0. Piecewise constant: its cotangent is zero. */
export const step: Op<Unary> = defineOp<Unary>({
  name: 'step',
  forward: (x) => map(x, (v) => +(v > 0)),
  vjp: [null],
});

/** sign(x) ∈ {−1, 0, 1} (NaN stays NaN). Piecewise constant: its cotangent is zero. */
export const sign: Op<Unary> = defineOp<Unary>({
  name: 'sign',
  forward: (x) => map(x, (v) => (v > 0 ? 1 : v < 0 ? -1 : v === 0 ? 0 : v)),
  vjp: [null],
});
