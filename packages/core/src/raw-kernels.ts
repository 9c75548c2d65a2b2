/**
 * @difftape/core/kernels: the raw float64 kernels under the ops (no tape, fresh results, inputs
 * never written; `rows` fills the row it is given, `addScaledInto` the array it is given), for
 * benchmarks and code that wants no tracing.
 */
export {
  addScaledInto,
  firstNonFinite,
  gatherBytes,
  jsAddScaledInto,
  jsGatherBytes,
  jsRelu,
  type RowKernel,
  rows,
  wasmAddScaledInto,
  wasmGatherBytes,
  wasmRelu,
} from './kernels.js';
export {
  absColumnSums,
  type Gemm,
  jsAbsColumnSums,
  jsGemm,
  kernelPath,
  matmulNN,
  matmulNT,
  matmulTN,
  wasmAbsColumnSums,
  wasmGemm,
} from './matmul.js';
export {
  alloc,
  allocFlat,
  flatOf,
  fromFlat,
  rowsOf,
  shapeString,
  storageOf,
  toFlat,
  wrapFlat,
} from './matrix.js';
