import { checkParamShapes, key, Matrix, rawOf, softmax } from '@difftape/core';
import { decodeCheckpoint } from '@difftape/nn';
import { imageShape, modelFor } from '../model.js';

/** The pad's images: 28 × 28 pixels, as MNIST's (digit-png's MNIST_SIZE, which needs node). */
const PAD = { rows: 28, cols: 28 };

/** Ten class probabilities for 784 pixels in [0, 1]. */
export type Classifier = (pixels: Float64Array) => number[];

/**
 * The classifier of a checkpoint's bytes, decoded with nn's codec (the same code in node and the
 * browser); throws naming `what` when the bytes are not a checkpoint with a model spec.
 */
export const classifierFromBytes = (bytes: Uint8Array, what: string): Classifier => {
  const loaded = decodeCheckpoint(bytes, { what });
  if (!loaded.spec) throw new Error(`${what} has no model spec in its manifest`);
  const model = modelFor(loaded.spec, PAD);
  checkParamShapes(loaded.params, model.init(key(0), imageShape(PAD))[0], what);
  const { params } = loaded;
  return (pixels) => {
    const x = Matrix.from1DArray(1, pixels.length, Array.from(pixels));
    return rawOf(softmax(model.apply(params, x))).getRow(0);
  };
};
