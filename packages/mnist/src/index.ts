/** @difftape/mnist: the report's MNIST task on difftape — data, training, evaluation, report. */

export {
  dLossDyhat,
  l1MaxColumnSubgradient,
  type MlpParams,
  reluJacobian,
  reportForward,
  reportGradients,
  reportUpdate,
  softmaxJacobian,
} from './analytic.js';
export { sha256Hex, verifySha256 } from './checksum.js';
export {
  decodeTrainConfig,
  makeOptimiser,
  reportConfig,
  type TrainConfig,
  TrainConfigCodec,
  trainConfigFields,
} from './config.js';
export {
  allIndices,
  bundledDataDir,
  CLASSES,
  type Dataset,
  gatherBatch,
  gatherLabels,
  loadIdxDir,
  makeDataset,
  type Splits,
  subset,
} from './data.js';
export { type Evaluation, evaluate, splitMetrics } from './evaluate.js';
export { encodeIdx, type Idx, parseIdx, parseIdxGz } from './idx.js';
export {
  decodeDigitPng,
  encodeDigitPng,
  exportImages,
  loadImageDir,
  parseLabelFile,
} from './images.js';
export { type Plot, renderPlots } from './report/plots.js';
export {
  appendRecord,
  EpochRecord,
  type MetricsFile,
  RunConfig,
  readMetricsJsonl,
  readRunConfig,
  SplitMetrics,
} from './report/records.js';
export { type WrittenReport, writeReport } from './report/report.js';
export { formatReportTable, formatReportTableMarkdown } from './report/table.js';
export {
  loadStart,
  type Position,
  runFiles,
  type Start,
  type TrainHooks,
  type TrainResult,
  train,
} from './train.js';
