/**
 * A reverse-mode autodiff tape over ml-matrix. Browser-safe: no node:* module and no test library;
 * the fast-check arbitraries are in `@difftape/core/testing`.
 *
 * @module @difftape/core
 */

export {
  type Axis,
  mean,
  oneHot,
  scalar,
  softmaxCrossEntropy,
  stopGradient,
  sum,
} from './composites.js';
export { describeValue, isPlainObject, showValue } from './describe.js';
export { type LayerSite, NonFiniteError } from './finite.js';
export {
  type GradOptions,
  type Grads,
  grad,
  hvp,
  jvp,
  type Traceable,
  treeDot,
  valueAndGrad,
  vjp,
} from './grad.js';
export {
  assertGrad,
  type CheckGradOptions,
  checkGrad,
  type GradCheckReport,
  type GradCheckWorst,
} from './gradcheck.js';
export { alloc, filled, fromFlat, Matrix, rowsOf, shapeString, toFlat } from './matrix.js';
export { defineOp, type Op, type OpSpec, type RawOf, type Vjp } from './op.js';
export { add, div, mul, neg, sub } from './primitives/arithmetic.js';
export {
  broadcastAs,
  sumAll,
  sumCols,
  sumRows,
  unbroadcast,
} from './primitives/broadcast.js';
export { col2im, geometryArgs, im2col, type WindowGeometry } from './primitives/conv.js';
export { dense } from './primitives/dense.js';
export {
  abs,
  exp,
  log,
  relu,
  sigmoid,
  sign,
  sqrt,
  square,
  step,
  tanh,
} from './primitives/elementwise.js';
export { type PrimitiveName, primitives } from './primitives/index.js';
export { matmul, matmulNT, matmulTN, transpose } from './primitives/linalg.js';
export { maxPoolGather, maxPoolScatter } from './primitives/pool.js';
export {
  logSoftmax,
  logSumExp,
  softmax,
  softmaxCrossEntropyWithTargets,
} from './primitives/rowwise.js';
export { maximum, pow, where } from './primitives/select.js';
export { concatCols, reshape, sliceCols, transposeChunks } from './primitives/shape.js';
export {
  foldIn,
  type Key,
  key,
  keyData,
  keyFromData,
  normal,
  permutation,
  randomInts,
  split,
  type TupleOf,
  uniform,
} from './random.js';
export {
  avgPool2d,
  type ConvOptions,
  conv2d,
  convGeometry,
  type ImageShape,
  maxPool2d,
  type PoolOptions,
  poolGeometry,
} from './spatial.js';
export { type Input, isTensor, rawOf, type Tensor, Traced } from './tape.js';
export {
  checkParamShapes,
  joinPath,
  type Tree,
  type TreePath,
  treeFlatten,
  treeMap,
  treeUnflatten,
  treeZip,
} from './tree.js';
