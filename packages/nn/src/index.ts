/** @difftape/nn: layers, losses, regularisers, optimisers, metrics and checkpoints over @difftape/core. */

export { writeFileAtomic } from './atomic.js';
export {
  type Checkpoint,
  checkParamShapes,
  checkpointPaths,
  type LoadedCheckpoint,
  loadCheckpoint,
  saveCheckpoint,
} from './checkpoint.js';
export {
  decodeOrThrow,
  decodeWith,
  exactObject,
  formatDecodeErrors,
  NonNegativeInt,
  NonNegativeNumber,
  PositiveInt,
  PositiveNumber,
  Probability,
} from './decode.js';
export { glorotUniform, heNormal, type Initialiser, normalInit, zeros } from './init.js';
export { checkWidth, type Layer, type Params } from './layer.js';
export { Activation, LogSoftmax, Relu, Sigmoid, Softmax, Tanh } from './layers/activations.js';
export { Dense, type DenseOptions, type DenseParams } from './layers/dense.js';
export { Serial } from './layers/serial.js';
export { mse, nll, softmaxCrossEntropy } from './loss.js';
export {
  argmaxRows,
  confusionMatrix,
  type OneVsRestMetrics,
  oneVsRestMetrics,
  top1Accuracy,
} from './metrics.js';
export { modelFromSpec } from './model.js';
export { adam, momentum, sgd } from './optim/alias.js';
export { applyUpdates, type GradientTransformation } from './optim/base.js';
export { chain } from './optim/combine.js';
export {
  cosineDecay,
  exponentialDecay,
  type LearningRate,
  rateAt,
  type Schedule,
  warmupCosineDecay,
} from './optim/schedule.js';
export {
  type AdamOptions,
  type AdamState,
  addRegulariser,
  type CountState,
  clipByGlobalNorm,
  type MomentumState,
  scale,
  scaleByAdam,
  scaleByLearningRate,
  traceMomentum,
} from './optim/transform.js';
export { l1, l1MaxColumn, l2, type Regulariser } from './regularisers.js';
export {
  decodeModelSpec,
  denseUnits,
  type InitSpec,
  type LayerSpec,
  ModelSpec,
  parseModelSpec,
  reportModelSpec,
} from './spec.js';
export {
  type Batch,
  type BatchOptions,
  batchIndices,
  initTrainState,
  type Loss,
  makeStep,
  type TrainState,
} from './train.js';
