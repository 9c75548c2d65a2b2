import { Matrix } from 'ml-matrix';

const N = 60000,
  S = 784;
const img = new Uint8Array(N * S);
for (let i = 0; i < img.length; i++) img[i] = (i * 7) & 255;
function viaSetRow(idx) {
  const m = new Matrix(idx.length, S);
  const row = new Float64Array(S);
  for (let i = 0; i < idx.length; i++) {
    const b = idx[i] * S;
    for (let j = 0; j < S; j++) row[j] = img[b + j] / 255;
    m.setRow(i, row);
  }
  return m;
}
function viaCtor(idx) {
  const rows = new Array(idx.length);
  for (let i = 0; i < idx.length; i++) {
    const b = idx[i] * S;
    const row = new Float64Array(S);
    for (let j = 0; j < S; j++) row[j] = img[b + j] / 255;
    rows[i] = row;
  }
  return new Matrix(rows);
}
function viaSet(idx) {
  const m = new Matrix(idx.length, S);
  for (let i = 0; i < idx.length; i++) {
    const b = idx[i] * S;
    for (let j = 0; j < S; j++) m.set(i, j, img[b + j] / 255);
  }
  return m;
}
const all = Array.from({ length: N }, (_, i) => i);
const b50 = Array.from({ length: 50 }, (_, i) => (i * 1237) % N);
for (const [n, f] of [
  ['setRow', viaSetRow],
  ['ctor', viaCtor],
  ['set', viaSet],
]) {
  for (let r = 0; r < 3; r++) {
    let t = performance.now();
    for (let k = 0; k < 1000; k++) f(b50);
    const t50 = (performance.now() - t) / 1000;
    t = performance.now();
    f(all);
    const tall = performance.now() - t;
    console.log(n, 'b50 ms', t50.toFixed(4), 'all ms', tall.toFixed(0));
  }
}
