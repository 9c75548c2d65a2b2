import { type Layer, outputShapeOf, type Params } from '../layer.js';
import { checkShape, formatShape, type Shape, sizeOf } from '../shape.js';

/**
 * `model` bound to samples of `input`: `apply` tells it that shape (a batch is only a matrix), and
 * `init` takes `input` or any shape of the same size (`[784]` for `[1, 28, 28]`). Checks every
 * layer's shape at once. `modelFromSpec` binds a spec's `"input"` this way.
 */
export const WithInput = <P extends Params>(input: Shape, model: Layer<P>): Layer<P> => {
  checkShape(model.name, input);
  const output = outputShapeOf(model, input);
  const check = (shape: Shape): void => {
    if (sizeOf(shape) !== sizeOf(input))
      throw new RangeError(
        `${model.name}: takes samples of shape ${formatShape(input)} (${sizeOf(input)} values), got ${formatShape(shape)}`,
      );
  };
  return {
    name: model.name,
    ...(model.layers && { layers: model.layers }),
    outputShape: (shape) => {
      check(shape);
      return output;
    },
    init: (key, shape) => {
      check(shape);
      return model.init(key, input);
    },
    apply: (params, x, context) => model.apply(params, x, { ...context, shape: input }),
  };
};
