import { encodeDigitPng } from '../digit-png.js';
import type { TestAnalysis } from './analysis.js';

const escapeXml = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

const COLUMNS = 10;
const SCALE = 3;
const GAP = 10;
const LABEL = 32;
const TOP = 52;
const FONT = 'Helvetica, Arial, sans-serif';

/**
 * The misclassified test digits as an SVG grid, most confident first: each image (white on black,
 * pixels kept sharp) with "true → predicted" and the model's probability for its wrong answer.
 * The images are embedded PNG data URIs, so the file stands alone.
 */
export const mistakesSvg = (analysis: TestAnalysis): string => {
  const { mistakes, rows, cols } = analysis;
  const w = cols * SCALE;
  const h = rows * SCALE;
  const gridRows = Math.max(1, Math.ceil(mistakes.length / COLUMNS));
  const width = 2 * GAP + COLUMNS * (w + GAP);
  const height = TOP + gridRows * (h + LABEL + GAP) + GAP;
  const cells = mistakes.map((m, i) => {
    const x = GAP + (i % COLUMNS) * (w + GAP);
    const y = TOP + Math.floor(i / COLUMNS) * (h + LABEL + GAP);
    const png = encodeDigitPng(m.pixels, { rows, cols }).toString('base64');
    return [
      `<g class="mistake" data-index="${m.index}">`,
      `<image x="${x}" y="${y}" width="${w}" height="${h}" image-rendering="optimizeSpeed" style="image-rendering:pixelated" href="data:image/png;base64,${png}"/>`,
      `<text x="${x + w / 2}" y="${y + h + 13}" text-anchor="middle" font-size="12">${m.label} → ${m.predicted}</text>`,
      `<text x="${x + w / 2}" y="${y + h + 27}" text-anchor="middle" font-size="11" fill="#555">p ${m.confidence.toFixed(3)}</text>`,
      '</g>',
    ].join('');
  });
  const shown =
    mistakes.length === analysis.mistakeCount
      ? `all ${analysis.mistakeCount}`
      : `the ${mistakes.length} most confident of ${analysis.mistakeCount}`;
  const subtitle =
    analysis.mistakeCount === 0
      ? `no mistakes on the ${analysis.count} test digits`
      : `${shown} mistakes on ${analysis.count} test digits; label: true → predicted, p: the model's probability for its prediction`;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="${FONT}">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<text x="${GAP}" y="22" font-size="15">Test digits the model gets wrong</text>`,
    `<text x="${GAP}" y="40" font-size="11" fill="#555">${escapeXml(subtitle)}</text>`,
    ...cells,
    '</svg>',
  ].join('\n');
};
