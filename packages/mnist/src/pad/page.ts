/// <reference lib="dom" />
import { type Classifier, classifierFromBytes } from './classifier.js';
import { preprocess, SIDE } from './preprocess.js';

/** The digit pad in the browser: draw, preprocess like MNIST, classify with the served checkpoint. */

const byTestId = <E extends Element>(id: string): E => {
  const el = document.querySelector<E>(`[data-testid="${id}"]`);
  if (!el) throw new Error(`digit pad: the page has no data-testid="${id}"`);
  return el;
};

const pad = byTestId<HTMLCanvasElement>('pad');
const preview = byTestId<HTMLCanvasElement>('preview');
const status = byTestId<HTMLElement>('status');
const prediction = byTestId<HTMLElement>('prediction');
const probs = Array.from({ length: 10 }, (_, k) => byTestId<HTMLElement>(`prob-${k}`));
const bars = Array.from({ length: 10 }, (_, k) => byTestId<HTMLElement>(`bar-${k}`));
const ctx = pad.getContext('2d', { willReadFrequently: true })!;
const previewCtx = preview.getContext('2d')!;

let classify: Classifier | undefined;
let pending = false;

const blank = (): void => {
  ctx.fillStyle = 'black';
  ctx.fillRect(0, 0, pad.width, pad.height);
  previewCtx.fillStyle = 'black';
  previewCtx.fillRect(0, 0, SIDE, SIDE);
  prediction.textContent = '–';
  probs.forEach((p, k) => {
    p.textContent = '0.000';
    bars[k]!.style.width = '0';
  });
};

/** Reads the pad, shows the 28 × 28 input and the ten probabilities. */
const update = (): void => {
  pending = false;
  const { data } = ctx.getImageData(0, 0, pad.width, pad.height);
  const ink = new Float64Array(pad.width * pad.height);
  for (let i = 0; i < ink.length; i++) ink[i] = data[4 * i]! / 255;
  const pixels = preprocess(ink, pad.width, pad.height);
  const image = previewCtx.createImageData(SIDE, SIDE);
  pixels.forEach((v, i) => {
    const g = Math.round(255 * v);
    image.data.set([g, g, g, 255], 4 * i);
  });
  previewCtx.putImageData(image, 0, 0);
  if (!classify || pixels.every((v) => v === 0)) return;
  const p = classify(pixels);
  const best = p.indexOf(Math.max(...p));
  prediction.textContent = String(best);
  p.forEach((v, k) => {
    probs[k]!.textContent = v.toFixed(3);
    bars[k]!.style.width = `${(100 * v).toFixed(1)}%`;
  });
};

const schedule = (): void => {
  if (pending) return;
  pending = true;
  requestAnimationFrame(update);
};

let last: { x: number; y: number } | undefined;
const point = (e: PointerEvent) => {
  const r = pad.getBoundingClientRect();
  return {
    x: ((e.clientX - r.left) * pad.width) / r.width,
    y: ((e.clientY - r.top) * pad.height) / r.height,
  };
};
pad.addEventListener('pointerdown', (e) => {
  pad.setPointerCapture(e.pointerId);
  last = point(e);
  ctx.beginPath();
  ctx.arc(last.x, last.y, ctx.lineWidth / 2, 0, 2 * Math.PI);
  ctx.fillStyle = 'white';
  ctx.fill();
  schedule();
});
pad.addEventListener('pointermove', (e) => {
  if (!last) return;
  const p = point(e);
  ctx.beginPath();
  ctx.moveTo(last.x, last.y);
  ctx.lineTo(p.x, p.y);
  ctx.stroke();
  last = p;
  schedule();
});
const end = () => {
  last = undefined;
};
pad.addEventListener('pointerup', end);
pad.addEventListener('pointercancel', end);
byTestId<HTMLButtonElement>('clear').addEventListener('click', blank);

ctx.strokeStyle = 'white';
ctx.lineWidth = pad.width / 14;
ctx.lineCap = 'round';
ctx.lineJoin = 'round';
blank();

const load = async (): Promise<void> => {
  const response = await fetch('checkpoint.safetensors');
  if (!response.ok) throw new Error(`fetching the checkpoint: HTTP ${response.status}`);
  const bytes = new Uint8Array(await response.arrayBuffer());
  classify = classifierFromBytes(bytes, 'the served checkpoint');
  status.textContent = `model loaded (${(bytes.length / 1024).toFixed(0)} kB); draw a digit`;
  status.dataset.state = 'ready';
  schedule();
};
load().catch((e: unknown) => {
  status.textContent = `could not load the model: ${e instanceof Error ? e.message : String(e)}`;
  status.dataset.state = 'error';
});
