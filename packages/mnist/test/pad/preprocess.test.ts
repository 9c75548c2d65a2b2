import { describe, expect, it } from 'vitest';
import { preprocess, SIDE } from '../../src/pad/preprocess.js';

/** A width × height canvas with ink 1 inside the rectangle [x0, x1) × [y0, y1). */
const canvas = (w: number, h: number, [x0, y0, x1, y1]: number[]): Float64Array =>
  Float64Array.from({ length: w * h }, (_, i) => {
    const x = i % w;
    const y = Math.floor(i / w);
    return x >= x0! && x < x1! && y >= y0! && y < y1! ? 1 : 0;
  });

const box = (img: Float64Array) => {
  const on = [...img.keys()].filter((i) => img[i]! > 0);
  const xs = on.map((i) => i % SIDE);
  const ys = on.map((i) => Math.floor(i / SIDE));
  let m = 0;
  let mx = 0;
  let my = 0;
  img.forEach((v, i) => {
    m += v;
    mx += v * ((i % SIDE) + 0.5);
    my += v * (Math.floor(i / SIDE) + 0.5);
  });
  return {
    w: Math.max(...xs) - Math.min(...xs) + 1,
    h: Math.max(...ys) - Math.min(...ys) + 1,
    cx: mx / m,
    cy: my / m,
    mass: m,
  };
};

describe('preprocess', () => {
  it('scales a tall stroke into 20 px high, keeps its aspect, centres its mass', () => {
    // A 20 × 200 bar in the corner of a 280 × 280 pad: 2 × 20 pixels after scaling by 1/10.
    const img = preprocess(canvas(280, 280, [10, 30, 30, 230]), 280, 280);
    const b = box(img);
    expect(b.h).toBe(20);
    expect(b.w).toBe(2);
    expect(Math.abs(b.cx - 14)).toBeLessThanOrEqual(0.5);
    expect(Math.abs(b.cy - 14)).toBeLessThanOrEqual(0.5);
    // Area averaging keeps the ink: 4000 source pixels × (1/10)² = 40.
    expect(b.mass).toBeCloseTo(40, 9);
    for (const v of img) expect(v >= 0 && v <= 1).toBe(true);
  });

  it('anti-aliases: a box that does not fill whole pixels leaves grey edges', () => {
    // 30 px wide, 45 high: scale 20/45, width 13.33 px, so the last column is a third full.
    const img = preprocess(canvas(100, 100, [0, 0, 30, 45]), 100, 100);
    const greys = [...img].filter((v) => v > 0 && v < 1);
    expect(greys.length).toBeGreaterThan(0);
    expect(box(img).mass).toBeCloseTo(30 * 45 * (20 / 45) ** 2, 9);
  });

  it('gives zeros for an empty pad and names a size mismatch', () => {
    expect(preprocess(new Float64Array(50 * 40), 50, 40).every((v) => v === 0)).toBe(true);
    expect(() => preprocess(new Float64Array(10), 5, 5)).toThrow(
      /expected 5×5 = 25 values, got 10/,
    );
  });
});
