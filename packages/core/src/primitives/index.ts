import { add, div, mul, neg, sub } from './arithmetic.js';
import { broadcastAs, sumAll, sumCols, sumRows } from './broadcast.js';
import { col2im, im2col } from './conv.js';
import { dense } from './dense.js';
import { abs, exp, log, relu, sigmoid, sign, sqrt, square, step, tanh } from './elementwise.js';
import { matmul, matmulNT, matmulTN, transpose } from './linalg.js';
import { maxPoolGather, maxPoolScatter } from './pool.js';
import { logSoftmax, logSumExp, softmax, softmaxCrossEntropyWithTargets } from './rowwise.js';
import { maximum, pow, where } from './select.js';
import { concatCols, reshape, sliceCols, transposeChunks } from './shape.js';

/**
 * Every primitive, keyed by its name: a duplicate name fails to compile, and the op tests are typed
 * against these keys, so a primitive without a test row fails to compile too.
 */
export const primitives = {
  add,
  sub,
  mul,
  div,
  neg,
  broadcastAs,
  exp,
  log,
  tanh,
  sigmoid,
  relu,
  abs,
  square,
  sqrt,
  step,
  sign,
  matmul,
  dense,
  matmulNT,
  matmulTN,
  transpose,
  sumAll,
  sumRows,
  sumCols,
  logSumExp,
  softmax,
  logSoftmax,
  softmaxCrossEntropy: softmaxCrossEntropyWithTargets,
  reshape,
  sliceCols,
  concatCols,
  transposeChunks,
  maximum,
  pow,
  where,
  im2col,
  col2im,
  maxPoolGather,
  maxPoolScatter,
} as const;

/** The name of a primitive. */
export type PrimitiveName = keyof typeof primitives;
