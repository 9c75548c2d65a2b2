import { parse, View } from 'vega';
import * as vl from 'vega-lite';

/** The look every chart shares: fonts, padding, white background. */
export const CONFIG = {
  font: 'Helvetica, Arial, sans-serif',
  background: 'white',
  padding: 12,
  axis: { labelFontSize: 11, titleFontSize: 12, titleFontWeight: 'normal', gridOpacity: 0.6 },
  legend: { labelFontSize: 12, titleFontSize: 12, orient: 'right' },
  header: { labelFontSize: 13, labelFontWeight: 'bold' },
  title: { fontSize: 15, subtitleFontSize: 11, subtitleColor: '#555', anchor: 'start' },
  view: { stroke: '#ccc' },
} as const;

/** The epoch axis of every curve. */
export const EPOCH_X = {
  field: 'epoch',
  type: 'quantitative',
  title: 'epoch',
  axis: { tickMinStep: 1, format: 'd' },
  // A few pixels either side, so the first and last points are not cut by the clipped frame.
  scale: { nice: false, padding: 8 },
} as const;

/** A Vega-Lite spec to SVG text, without a browser. */
export const render = async (spec: vl.TopLevelSpec): Promise<string> => {
  const compiled = vl.compile(spec).spec;
  return new View(parse(compiled), { renderer: 'none' }).toSVG();
};
