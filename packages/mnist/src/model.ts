import {
  decodeOrThrow,
  type Layer,
  ModelSpec,
  modelFromSpec,
  needsImageShape,
  type Shape,
} from '@difftape/nn';
import type { ImageSize } from './digit-png.js';

/** The shape of one sample: one channel of rows × cols pixels. */
export const imageShape = (images: ImageSize): Shape => [1, images.rows, images.cols];

/** A spec's model for these images: bound to the spec's own `"input"`, else to the images' shape. */
export const modelFor = (spec: ModelSpec, images: ImageSize): Layer =>
  modelFromSpec(spec, { input: imageShape(images) });

/**
 * The spec a checkpoint stores: with the images' shape as `"input"` when its layers need one and
 * it has none, so that the checkpoint alone rebuilds the model (a dense spec stays as it was).
 */
export const checkpointSpec = (spec: ModelSpec, images: ImageSize): ModelSpec =>
  spec.input === undefined && needsImageShape(spec)
    ? decodeOrThrow(ModelSpec, { ...spec, input: imageShape(images) }, 'the checkpoint spec')
    : spec;
