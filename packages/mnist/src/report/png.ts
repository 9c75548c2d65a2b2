import { Resvg } from '@resvg/resvg-js';

/** Pixels per SVG unit in the PNGs: sharp enough for slides. */
const ZOOM = 2;

/** Rasterises SVG text to PNG bytes with resvg (system fonts, white where the SVG is empty). */
export const svgToPng = (svg: string): Buffer =>
  new Resvg(svg, {
    fitTo: { mode: 'zoom', value: ZOOM },
    background: 'white',
    font: {
      loadSystemFonts: true,
      defaultFontFamily: 'DejaVu Sans',
      sansSerifFamily: 'DejaVu Sans',
    },
  })
    .render()
    .asPng();
