import { key, treeFlatten } from '@difftape/core';
import type { AnyLayer } from './layer.js';
import { formatShape, type Shape } from './shape.js';

/** One line of a model summary: a layer, the shape of its output, its parameter count. */
export interface SummaryRow {
  readonly name: string;
  readonly outputShape: Shape;
  readonly params: number;
}

/** What `summary` returns: the input shape, a row per layer, the total parameter count. */
export interface ModelSummary {
  readonly inputShape: Shape;
  readonly rows: readonly SummaryRow[];
  readonly totalParams: number;
}

/** The layers a summary lists: a combinator's (recursively), else the layer itself. */
const leaves = (layer: AnyLayer): AnyLayer[] =>
  layer.layers ? layer.layers.flatMap(leaves) : [layer];

/**
 * Each layer of `model` with its output shape and parameter count, for samples of `inputShape`.
 * Pure: it initialises each layer once from a fixed key and counts the entries.
 */
export const summary = (model: AnyLayer, inputShape: Shape): ModelSummary => {
  let shape = inputShape;
  const rows = leaves(model).map((layer): SummaryRow => {
    const [params, outputShape] = layer.init(key(0), shape);
    shape = outputShape;
    const count = treeFlatten(params).leaves.reduce((n, m) => n + m.rows * m.columns, 0);
    return { name: layer.name, outputShape, params: count };
  });
  return { inputShape, rows, totalParams: rows.reduce((n, r) => n + r.params, 0) };
};

/** 89610 → "89 610": digits in groups of three, as the summary prints them. */
const grouped = (n: number): string => String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ' ');

/** A shape as the summary prints it: `100`, `8x28x28`. */
const shown = (shape: Shape): string =>
  shape.length === 1 ? grouped(shape[0]!) : formatShape(shape);

/** A summary as an aligned text table: a header, the input, a line per layer, the total. */
export const formatSummary = (s: ModelSummary): string => {
  const lines: [string, string, string][] = [
    ['layer', 'output', 'params'],
    ['input', shown(s.inputShape), ''],
    ...s.rows.map((r): [string, string, string] => [
      r.name,
      shown(r.outputShape),
      grouped(r.params),
    ]),
    ['total', '', grouped(s.totalParams)],
  ];
  const width = (i: 0 | 1 | 2) => Math.max(...lines.map((l) => l[i].length));
  const [w0, w1, w2] = [width(0), width(1), width(2)];
  return lines
    .map(([a, b, c]) => `${a.padEnd(w0)}  ${b.padStart(w1)}  ${c.padStart(w2)}`.trimEnd())
    .join('\n');
};
