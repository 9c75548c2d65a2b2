import {
  dense,
  type Key,
  type Matrix,
  shapeString,
  split,
  type Tensor,
  type Traceable,
} from '@difftape/core';
import { glorotUniform, type Initialiser, zeros } from '../init.js';
import { checkWidth, type Layer } from '../layer.js';
import { checkShape, type Shape, sizeOf } from '../shape.js';

/** How a dense layer initialises its weights (fan-in × fan-out) and its 1 × units bias. */
export interface DenseOptions {
  readonly init?: Initialiser;
  readonly bias?: Initialiser;
}

/** Parameters of a dense layer: W (in × out) and b (1 × out). A type, not an interface, so it is a `Params`. */
export type DenseParams = {
  readonly W: Matrix;
  readonly b: Matrix;
};

/**
 * x·W + b (core's fused `dense`) with `units` outputs; the input width is the size of the sample
 * shape `init` gets (an image's C·H·W values, as they lie in its row). Default init: Glorot
 * uniform, zero bias.
 */
export const Dense = (units: number, options: DenseOptions = {}): Layer<DenseParams> => {
  const name = `Dense(${units})`;
  checkWidth(name, 'units', units);
  const { init = glorotUniform, bias = zeros } = options;
  return {
    name,
    outputShape: (inputShape: Shape) => {
      checkShape(name, inputShape);
      return [units];
    },
    init: (key: Key, inputShape: Shape) => {
      checkShape(name, inputShape);
      const [kW, kb] = split(key, 2);
      return [{ W: init(kW, sizeOf(inputShape), units), b: bias(kb, 1, units) }, [units]];
    },
    apply: ({ W, b }: DenseParams | Traceable<DenseParams>, x: Tensor) => {
      if (x.columns !== W.rows) {
        throw new RangeError(`${name}: expects ${W.rows} input columns, got ${shapeString(x)}`);
      }
      return dense(x, W, b);
    },
  };
};
