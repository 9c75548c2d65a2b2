/** The side of MNIST's images, and of the box the digit is scaled into (as MNIST did). */
export const SIDE = 28;
const BOX = 20;
/** Ink below this counts as background when finding the stroke's bounding box. */
const THRESHOLD = 0.05;

/** How much of source cell i (width `scale` in target units, starting at i·scale) falls in target cell j. */
const overlaps = (count: number, scale: number): { target: number; weight: number }[][] =>
  Array.from({ length: count }, (_, i) => {
    const lo = i * scale;
    const hi = lo + scale;
    const cells: { target: number; weight: number }[] = [];
    for (let j = Math.floor(lo); j < hi; j++) {
      const weight = Math.min(hi, j + 1) - Math.max(lo, j);
      if (weight > 1e-12) cells.push({ target: j, weight });
    }
    return cells;
  });

/**
 * A drawing as MNIST shows digits: the ink's bounding box scaled (keeping its aspect) into 20 × 20
 * by area averaging (anti-aliased), then placed in 28 × 28 with its centre of mass at the centre.
 * `ink` holds width × height values in [0, 1], row-major, white (1) on black (0). Returns 784
 * values in [0, 1]; an empty drawing gives zeros.
 */
export const preprocess = (ink: ArrayLike<number>, width: number, height: number): Float64Array => {
  if (ink.length !== width * height)
    throw new RangeError(
      `preprocess: expected ${width}×${height} = ${width * height} values, got ${ink.length}`,
    );
  let x0 = width;
  let y0 = height;
  let x1 = -1;
  let y1 = -1;
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++)
      if (ink[y * width + x]! > THRESHOLD) {
        x0 = Math.min(x0, x);
        x1 = Math.max(x1, x);
        y0 = Math.min(y0, y);
        y1 = Math.max(y1, y);
      }
  const out = new Float64Array(SIDE * SIDE);
  if (x1 < 0) return out;
  const bw = x1 - x0 + 1;
  const bh = y1 - y0 + 1;
  const scale = BOX / Math.max(bw, bh);
  const tw = Math.ceil(bw * scale - 1e-9);
  const th = Math.ceil(bh * scale - 1e-9);
  const small = new Float64Array(tw * th);
  const xs = overlaps(bw, scale);
  const ys = overlaps(bh, scale);
  for (let y = 0; y < bh; y++)
    for (let x = 0; x < bw; x++) {
      const v = ink[(y0 + y) * width + x0 + x]!;
      if (v === 0) continue;
      for (const oy of ys[y]!)
        for (const ox of xs[x]!) small[oy.target * tw + ox.target]! += v * oy.weight * ox.weight;
    }
  // Centre of mass of the scaled digit, in pixel-centre coordinates.
  let mass = 0;
  let mx = 0;
  let my = 0;
  for (let y = 0; y < th; y++)
    for (let x = 0; x < tw; x++) {
      const v = small[y * tw + x]!;
      mass += v;
      mx += v * (x + 0.5);
      my += v * (y + 0.5);
    }
  const dx = Math.round(SIDE / 2 - mx / mass);
  const dy = Math.round(SIDE / 2 - my / mass);
  for (let y = 0; y < th; y++)
    for (let x = 0; x < tw; x++) {
      const tx = x + dx;
      const ty = y + dy;
      if (tx >= 0 && tx < SIDE && ty >= 0 && ty < SIDE)
        out[ty * SIDE + tx] = Math.min(1, small[y * tw + x]!);
    }
  return out;
};
