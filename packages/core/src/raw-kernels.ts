/**
 * @difftape/core/kernels: the raw float64 kernels under the ops (no tape, fresh results, inputs
 * never written), for benchmarks and for code that wants the products without tracing.
 */
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
