/**
 * The report's MNIST task on difftape — data, training, evaluation, report.
 *
 * @module @difftape/mnist
 */

export { sha256Hex, verifySha256 } from './checksum.js';
export {
  allIndices,
  bundledDataDir,
  CLASSES,
  type Dataset,
  gatherBatch,
  gatherLabels,
  IDX_FILES,
  type LoadIdxOptions,
  loadIdxDir,
  makeDataset,
  type Splits,
  subset,
} from './data.js';
export { DataError } from './data-error.js';
export { decodeDigitPng, encodeDigitPng, type ImageSize, MNIST_SIZE } from './digit-png.js';
export {
  type Evaluator,
  evalPool,
  evalWorkerCount,
  localEvaluator,
  type WorkerModel,
} from './eval-pool.js';
export { type Evaluation, evaluate, splitMetrics } from './evaluate.js';
export { encodeIdx, type Idx, MAX_IDX_BYTES, parseIdx, parseIdxGz } from './idx.js';
export { exportImages, loadImageDir, parseLabelFile } from './images.js';
export { makeOptimiser } from './optimiser.js';
export { checkPng, type PngHeader } from './png-check.js';
export { type Plot, renderPlots } from './report/plots.js';
export { type WrittenReport, writeReport } from './report/report.js';
export { formatReportTable, formatReportTableMarkdown } from './report/table.js';
export {
  CONFIG_FIELDS,
  type ConfigField,
  decodeTrainConfig,
  encodeTrainConfig,
  readTrainConfig,
  reportConfig,
  type TrainConfig,
  TrainConfigCodec,
} from './run/config.js';
export { type RunFiles, runFiles } from './run/files.js';
export { lockRun, type RunLock } from './run/lock.js';
export { CheckpointMeta, decodeCheckpointMeta } from './run/meta.js';
export {
  appendRecord,
  cutMetrics,
  EpochRecord,
  type MetricsFile,
  readMetricsJsonl,
  SplitMetrics,
} from './run/metrics.js';
export {
  loadStart,
  type Position,
  type Start,
  type TrainHooks,
  type TrainResult,
  train,
} from './train.js';
