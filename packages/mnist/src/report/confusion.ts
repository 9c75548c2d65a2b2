import type * as vl from 'vega-lite';
import { CONFIG } from './vega.js';

/** One cell of the confusion matrix: its count and its share of the true class's samples. */
interface Cell {
  truth: number;
  predicted: number;
  count: number;
  share: number;
}

const cells = (confusion: number[][]): Cell[] =>
  confusion.flatMap((row, truth) => {
    const total = row.reduce((s, c) => s + c, 0);
    return row.map((count, predicted) => ({
      truth,
      predicted,
      count,
      share: total > 0 ? count / total : 0,
    }));
  });

/**
 * The test set's confusion matrix as a heatmap: rows the true digit, columns the prediction, each
 * cell labelled with its count. Colour is the share of the row on a square-root scale, so the few
 * off-diagonal mistakes stay visible beside a diagonal of near-ones.
 */
export const confusionSpec = (confusion: number[][]): vl.TopLevelSpec => {
  const values = cells(confusion);
  const total = values.reduce((s, c) => s + c.count, 0);
  const digit = (field: string, title: string, orient: 'top' | 'left') => ({
    field,
    type: 'ordinal',
    title,
    axis: { labelAngle: 0, orient, domain: false, ticks: false },
  });
  return {
    title: {
      text: 'Confusion matrix on the test set',
      subtitle: `${total} test digits; colour: share of the true digit's samples (square-root scale)`,
    },
    data: { values },
    width: 360,
    height: 360,
    encoding: {
      x: digit('predicted', 'predicted digit', 'top'),
      y: digit('truth', 'true digit', 'left'),
    },
    layer: [
      {
        mark: { type: 'rect', stroke: 'white', strokeWidth: 1 },
        encoding: {
          color: {
            field: 'share',
            type: 'quantitative',
            title: 'share of row',
            scale: { type: 'sqrt', scheme: 'blues', domain: [0, 1] },
          },
        },
      },
      {
        mark: { type: 'text', fontSize: 10 },
        encoding: {
          text: { field: 'count', type: 'quantitative' },
          color: { condition: { test: 'datum.share > 0.45', value: 'white' }, value: '#222' },
        },
      },
    ],
    config: CONFIG,
  } as vl.TopLevelSpec;
};
