import type { Tensor } from '@difftape/core';

/** The shape of one sample: `[784]` for a vector, `[1, 28, 28]` for a C × H × W image. */
export type Shape = readonly number[];

/** The number of values in a sample of this shape: one column each. */
export const sizeOf = (shape: Shape): number => shape.reduce((n, d) => n * d, 1);

/** `[8, 14, 14]` → "8x14x14", as errors and summaries print shapes. */
export const formatShape = (shape: Shape): string => shape.join('x');

/** Throws unless `shape` is a non-empty list of positive integers; names the layer. */
export const checkShape = (layer: string, shape: Shape): void => {
  if (
    !Array.isArray(shape) ||
    shape.length === 0 ||
    !shape.every((d) => Number.isInteger(d) && d > 0)
  )
    throw new RangeError(
      `${layer}: an input shape must be a non-empty list of positive integers, got ${JSON.stringify(shape)}`,
    );
};

/** The [C, H, W] of an image shape; throws naming the layer and the shape it got instead. */
export const imageShape = (layer: string, shape: Shape): [number, number, number] => {
  checkShape(layer, shape);
  const [c, h, w] = shape;
  if (shape.length !== 3 || c === undefined || h === undefined || w === undefined)
    throw new RangeError(
      `${layer}: needs images of shape [C, H, W], got samples of shape [${shape.join(', ')}] ` +
        '(give the model its input shape: "input": [C, H, W] in a spec, or WithInput)',
    );
  return [c, h, w];
};

/** Throws unless x holds samples of `shape`, one a row. */
export const checkSamples = (layer: string, x: Tensor, shape: Shape): void => {
  if (x.columns !== sizeOf(shape))
    throw new RangeError(
      `${layer}: expects samples of shape ${formatShape(shape)} (${sizeOf(shape)} columns), got ${x.rows}x${x.columns}`,
    );
};
