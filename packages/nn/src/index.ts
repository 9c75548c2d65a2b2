/**
 * Layers, losses, regularisers, optimisers, metrics and checkpoints (as bytes) over @difftape/core.
 * Browser-safe: no node:* module; file I/O is in `@difftape/nn/node`.
 *
 * @module @difftape/nn
 */

export {
  type Checkpoint,
  CheckpointError,
  type DecodeOptions,
  decodeCheckpoint,
  encodeCheckpoint,
  type LoadedCheckpoint,
} from './checkpoint.js';
export {
  DropoutRate,
  type DropoutRateBrand,
  decodeOrThrow,
  decodeWith,
  exactObject,
  formatDecodeErrors,
  NonNegativeInt,
  type NonNegativeIntBrand,
  NonNegativeNumber,
  type NonNegativeNumberBrand,
  numberCodec,
  PositiveInt,
  type PositiveIntBrand,
  PositiveNumber,
  type PositiveNumberBrand,
  Probability,
  type ProbabilityBrand,
} from './decode.js';
export { glorotUniform, heNormal, type Initialiser, normalInit, zeros } from './init.js';
export {
  type AnyLayer,
  type ApplyContext,
  checkWidth,
  contextShape,
  type Layer,
  type NoParams,
  outputShapeOf,
  type ParamRole,
  type Params,
  type ParamsOf,
  paramRole,
} from './layer.js';
export { Activation, LogSoftmax, Relu, Sigmoid, Softmax, Tanh } from './layers/activations.js';
export {
  AvgPool2d,
  Conv2d,
  type Conv2dOptions,
  type Conv2dParams,
  Flatten,
  MaxPool2d,
} from './layers/conv.js';
export { Dense, type DenseOptions, type DenseParams } from './layers/dense.js';
export { Dropout } from './layers/dropout.js';
export { LayerNorm, type LayerNormOptions, type LayerNormParams } from './layers/norm.js';
export { Serial, type SerialParams } from './layers/serial.js';
export { WithInput } from './layers/with-input.js';
export { mse, nll, softmaxCrossEntropy } from './loss.js';
export {
  argmaxRows,
  confusionMatrix,
  type OneVsRestMetrics,
  oneVsRestMetrics,
  top1Accuracy,
} from './metrics.js';
export { layerFromSpec, type ModelOptions, modelFromSpec } from './model.js';
export {
  atLeast,
  between,
  checkNumber,
  finiteNumber,
  greaterThan,
  type NumberKind,
  nonNegativeInteger,
  positiveInteger,
  probability,
  unitRate,
} from './numbers.js';
export {
  type AdamWOptions,
  adam,
  adamw,
  momentum,
  type RmspropOptions,
  rmsprop,
  sgd,
} from './optim/alias.js';
export { applyUpdates, type GradientTransformation } from './optim/base.js';
export { type ChainState, chain, type StateOf } from './optim/combine.js';
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
  addDecayedWeights,
  addRegulariser,
  type CountState,
  clipByGlobalNorm,
  type MomentumState,
  type RmsOptions,
  type RmsState,
  type StddevState,
  scale,
  scaleByAdam,
  scaleByLearningRate,
  scaleByRms,
  scaleByStddev,
  traceMomentum,
} from './optim/transform.js';
export { l1, l1MaxColumn, l2, type Regulariser } from './regularisers.js';
export { type Dtype, SafetensorsError } from './safetensors.js';
export {
  formatShape,
  imageShape,
  type Shape,
  sizeOf,
} from './shape.js';
export {
  Conv2dConfig,
  decodeModelSpec,
  denseUnits,
  type InitSpec,
  InputShape,
  LayerSpec,
  ModelSpec,
  needsImageShape,
  parseModelSpec,
  reportModelSpec,
} from './spec.js';
export {
  type LayerShapes,
  type ShapePair,
  type SpecLayerShapes,
  specInputShape,
  specLayerShapes,
  specParamShapes,
} from './spec-shapes.js';
export { formatSummary, type ModelSummary, type SummaryRow, summary } from './summary.js';
export {
  type Batch,
  type BatchOptions,
  batchIndices,
  initTrainState,
  type Loss,
  makeStep,
  type StepOptions,
  type TrainState,
} from './train.js';
