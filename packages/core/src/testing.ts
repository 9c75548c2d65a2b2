/** @difftape/core/testing: fast-check arbitraries for property tests (needs fast-check installed). */

export {
  type ArbMatrixOptions,
  arbBroadcastShapes,
  arbEntries,
  arbMatrix,
  arbTree,
} from './arbitraries.js';
