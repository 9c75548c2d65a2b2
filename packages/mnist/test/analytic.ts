/**
 * The report's hand-derived backprop (sections 1.5–1.8 and its `weight_update` /
 * `regularized_gradient` code), written literally with plain arithmetic on fresh arrays: no tape,
 * no autodiff. It exists to check difftape's tape against; it is slow (per-sample Jacobians) and,
 * like the report, breaks when a softmax output underflows to 0 (use `softmaxCrossEntropy` to train).
 *
 * Conventions are difftape's: rows of X are samples, W is in × out, b is 1 × out, so the report's
 * z = (Wˡ)ᵀ x + W₀ˡ (eq. 1, 3, 5) for one column sample x is the row z = x Wˡ + bˡ here.
 */
import { Matrix } from '@difftape/core';

/**
 * A dense layer's parameters as difftape stores them: W (in × out) and b (1 × out). A type alias,
 * not an interface, so that it is a `Tree` (interfaces have no implicit index signature).
 */
export type DenseLeaves = {
  readonly W: Matrix;
  readonly b: Matrix;
};

/** One entry of a `serial` model's parameters: a dense layer, or `{}` for a ReLU. */
export type LayerLeaves = DenseLeaves | Readonly<Record<string, never>>;

/** Parameters of `serial(dense, relu, ..., dense)`, e.g. `[{W, b}, {}, {W, b}, {}, {W, b}]`. */
export type MlpParams = readonly LayerLeaves[];

const isLayerLeaves = (p: unknown): p is LayerLeaves =>
  typeof p === 'object' &&
  p !== null &&
  ('W' in p
    ? p.W instanceof Matrix && 'b' in p && p.b instanceof Matrix
    : Object.keys(p).length === 0);

/** A model's parameter tree as `MlpParams`, checked entry by entry (a model from a spec is untyped). */
export const mlpParams = (params: unknown): MlpParams => {
  if (!Array.isArray(params) || !params.every(isLayerLeaves))
    throw new TypeError('mlpParams: expected an array of {W, b} or {} entries');
  return params;
};

/** Everything the report's forward pass computes for a batch (eq. 1–6). */
export interface ReportForward {
  /** The input of each entry of params: X, z¹, H¹, z², H², ... (pre-activations and ReLU outputs). */
  readonly inputs: readonly Matrix[];
  /** zᴸ, the last layer's output (eq. 5). */
  readonly logits: Matrix;
  /** ŷ = softmax(zᴸ) row by row (eq. 6). */
  readonly probs: Matrix;
  /** −(1/m) Σₘ Σₖ y[m][k] log ŷ[m][k] (section 1.2, averaged as the report's code does); needs labels. */
  readonly loss?: number;
}

type Rows = number[][];
type Layer = { kind: 'dense'; W: Rows; b: number[] } | { kind: 'relu' };

const rowsOfMatrix = (m: Matrix): Rows => m.to2DArray();
const toMatrix = (rows: Rows, cols: number): Matrix =>
  rows.length === 0 ? new Matrix(0, cols) : new Matrix(rows);
const zeros = (r: number, c: number): Rows => Array.from({ length: r }, () => new Array(c).fill(0));

/** The report's sign: sign(0) = 0 (and never −0). */
const sign = (v: number): number => (v > 0 ? 1 : v < 0 ? -1 : 0);

const describe = (p: unknown): string =>
  typeof p === 'object' && p !== null ? `keys [${Object.keys(p).join(', ')}]` : String(p);

/** Reads and checks the layer list: each entry is {W, b} (dense) or {} (ReLU); widths must chain. */
const parseLayers = (where: string, params: MlpParams, inputCols: number): Layer[] => {
  if (!Array.isArray(params) || params.length === 0)
    throw new TypeError(`${where}: params must be a non-empty array of {W, b} or {} entries`);
  let cols = inputCols;
  return params.map((p, i) => {
    const entry = p as Partial<DenseLeaves>;
    if (typeof p === 'object' && p !== null && Object.keys(p).length === 0) return { kind: 'relu' };
    if (!(entry.W instanceof Matrix && entry.b instanceof Matrix)) {
      throw new TypeError(
        `${where}: params[${i}] must be {W, b} (a dense layer) or {} (a ReLU), got ${describe(p)}`,
      );
    }
    const { W, b } = entry;
    if (W.rows !== cols || b.rows !== 1 || b.columns !== W.columns) {
      throw new RangeError(
        `${where}: params[${i}] expects W ${cols}xN and b 1xN, got W ${W.rows}x${W.columns} and b ${b.rows}x${b.columns}`,
      );
    }
    cols = W.columns;
    return { kind: 'dense', W: rowsOfMatrix(W), b: rowsOfMatrix(b)[0]! };
  });
};

/** Labels as one-hot rows y[m] (section 1.1's 1-of-K encoding); a Matrix is taken as given. */
const oneHotRows = (where: string, labels: ArrayLike<number> | Matrix, m: number, k: number) => {
  if (labels instanceof Matrix) {
    if (labels.rows !== m || labels.columns !== k)
      throw new RangeError(
        `${where}: targets are ${labels.rows}x${labels.columns}, expected ${m}x${k}`,
      );
    return rowsOfMatrix(labels);
  }
  if (labels.length !== m)
    throw new RangeError(`${where}: ${m} samples but ${labels.length} labels`);
  const y = zeros(m, k);
  for (let i = 0; i < m; i++) {
    const c = labels[i]!;
    if (!Number.isInteger(c) || c < 0 || c >= k)
      throw new RangeError(`${where}: label ${i} is ${c}, expected an integer in [0, ${k})`);
    y[i]![c] = 1;
  }
  return y;
};

const softmaxRow = (z: readonly number[]): number[] => {
  const max = Math.max(...z);
  const e = z.map((v) => Math.exp(v - max));
  const total = e.reduce((s, v) => s + v, 0);
  return e.map((v) => v / total);
};

/** x·W + b for one sample x (eq. 1, 3, 5 in row form). */
const denseRow = (x: readonly number[], W: Rows, b: readonly number[]): number[] => {
  const z = b.slice();
  for (let i = 0; i < x.length; i++) {
    const xi = x[i]!;
    const wi = W[i]!;
    for (let j = 0; j < z.length; j++) z[j]! += xi * wi[j]!;
  }
  return z;
};

/** Forward pass on rows: the input of every layer entry, the logits and ŷ. */
const forwardRows = (layers: Layer[], X: Rows) => {
  const inputs: Rows[] = [];
  let h = X;
  for (const layer of layers) {
    inputs.push(h);
    h =
      layer.kind === 'dense'
        ? h.map((x) => denseRow(x, layer.W, layer.b))
        : h.map((z) => z.map((v) => Math.max(0, v))); // eq. 2, 4
  }
  return { inputs, logits: h, probs: h.map(softmaxRow) };
};

/** −(1/m) Σₘ Σₖ y log ŷ; terms with y = 0 are 0 (0 · log 0 would be NaN). */
const meanNll = (y: Rows, probs: Rows): number => {
  let s = 0;
  probs.forEach((p, m) => {
    p.forEach((pk, k) => {
      const yk = y[m]![k]!;
      if (yk !== 0) s += yk * Math.log(pk);
    });
  });
  return -s / probs.length;
};

/** The report's forward pass (eq. 1–6) for a batch X (rows are samples), and its mean NLL (section 1.2) given labels. */
export const reportForward = (
  params: MlpParams,
  X: Matrix,
  labels?: ArrayLike<number> | Matrix,
): ReportForward => {
  const layers = parseLayers('reportForward', params, X.columns);
  const { inputs, logits, probs } = forwardRows(layers, rowsOfMatrix(X));
  const k = logits[0]?.length ?? 0;
  const width = (i: number) => (i === 0 ? X.columns : (inputs[i]![0]?.length ?? 0));
  const out = {
    inputs: inputs.map((h, i) => toMatrix(h, width(i))),
    logits: toMatrix(logits, k),
    probs: toMatrix(probs, k),
  };
  if (labels === undefined) return out;
  return { ...out, loss: meanNll(oneHotRows('reportForward', labels, X.rows, k), probs) };
};

const asRow = (where: string, v: Matrix | readonly number[]): number[] => {
  if (!(v instanceof Matrix)) return v.slice();
  if (v.rows !== 1)
    throw new RangeError(`${where}: expected one sample (1xK), got ${v.rows}x${v.columns}`);
  return v.getRow(0);
};

/**
 * ∇ŷ[m] = ∂l/∂ŷ = −y[m] / ŷ[m] for one sample (section 1.6; the report prints it without the minus).
 * No 1/m here: the batch mean comes last, as the report's `tf.reduce_mean(..., axis=0)` does.
 * Entries with y = 0 are 0, their mathematical value (the code's −0/ŷ is NaN if ŷ underflows to 0).
 */
const dLossDyhatRow = (y: readonly number[], s: readonly number[]): number[] =>
  y.map((yk, k) => (yk === 0 ? 0 : -yk / s[k]!));

/** ∇ŷ = −y / ŷ for one sample, before the batch mean (section 1.6); y and ŷ are 1 × K. */
export const dLossDyhat = (
  y: Matrix | readonly number[],
  yhat: Matrix | readonly number[],
): Matrix => {
  const ys = asRow('dLossDyhat', y);
  const ss = asRow('dLossDyhat', yhat);
  if (ys.length !== ss.length)
    throw new RangeError(`dLossDyhat: y has ${ys.length} entries but ŷ has ${ss.length}`);
  return toMatrix([dLossDyhatRow(ys, ss)], ys.length);
};

/** J[i][j] = ∂sᵢ/∂zⱼ = sᵢ(δᵢⱼ − sⱼ). */
const softmaxJacobianRows = (s: readonly number[]): Rows =>
  s.map((si, i) => s.map((sj, j) => (i === j ? si * (1 - si) : -si * sj)));

/** J[i][j] = ∂φ(z)ᵢ/∂zⱼ = 1 if i = j and zᵢ > 0, else 0. */
const reluJacobianRows = (z: readonly number[]): Rows =>
  z.map((_, i) => z.map((zj, j) => (i === j && zj > 0 ? 1 : 0)));

/** ∂σ(z)/∂z = diag(s) − s sᵀ for one sample s = softmax(z), 1 × K (section 1.6, the softmax Jacobian). */
export const softmaxJacobian = (s: Matrix | readonly number[]): Matrix => {
  const row = asRow('softmaxJacobian', s);
  return toMatrix(softmaxJacobianRows(row), row.length);
};

/** ∂φ(z)/∂z = diag(z > 0) for one sample z, 1 × N (section 1.6, the ReLU Jacobian; φ′(0) = 0). */
export const reluJacobian = (z: Matrix | readonly number[]): Matrix => {
  const row = asRow('reluJacobian', z);
  return toMatrix(reluJacobianRows(row), row.length);
};

/**
 * The report writes ∂σ/∂z in denominator layout (row i holds ∂/∂zᵢ), i.e. Jᵀ, and multiplies it
 * by the upstream gradient: dz = Jᵀ g. Both Jacobians here are symmetric, so Jᵀ g = J g.
 */
const transposeTimes = (J: Rows, g: readonly number[]): number[] =>
  J[0] === undefined ? [] : J[0].map((_, i) => J.reduce((s, Jj, j) => s + Jj[i]! * g[j]!, 0));

/** The report's gradients: the mean loss and ∂loss/∂(every W and b), in the params' structure. */
export interface ReportGradients {
  readonly loss: number;
  /** Same structure as the params: {W, b} for dense entries, {} for ReLUs. */
  readonly grads: LayerLeaves[];
}

/**
 * Backprop by hand (section 1.6), one sample at a time with explicit Jacobians, then the batch mean:
 * dzᴸ = J_softmax ∇ŷ, dWˡ = Hˡ⁻¹ ⊗ dzˡ, dbˡ = dzˡ, dHˡ⁻¹ = Wˡ dzˡ, dzˡ⁻¹ = J_relu dHˡ⁻¹, ...
 */
export const reportGradients = (
  params: MlpParams,
  X: Matrix,
  labels: ArrayLike<number> | Matrix,
): ReportGradients => {
  const layers = parseLayers('reportGradients', params, X.columns);
  const { inputs, probs } = forwardRows(layers, rowsOfMatrix(X));
  const m = X.rows;
  if (m === 0) throw new RangeError('reportGradients: the batch is empty');
  const y = oneHotRows('reportGradients', labels, m, probs[0]!.length);

  // Sums over samples of the per-sample gradients; divided by m at the end (tf.reduce_mean).
  const sums = layers.map((l) =>
    l.kind === 'dense' ? { W: zeros(l.W.length, l.b.length), b: l.b.map(() => 0) } : null,
  );
  for (let s = 0; s < m; s++) {
    const yhat = probs[s]!;
    // dz³ = (∂σ/∂z) ∇ŷ
    let upstream = transposeTimes(softmaxJacobianRows(yhat), dLossDyhatRow(y[s]!, yhat));
    for (let l = layers.length - 1; l >= 0; l--) {
      const layer = layers[l]!;
      const input = inputs[l]![s]!;
      if (layer.kind === 'relu') {
        // dzˡ = (∂φ/∂z) dHˡ
        upstream = transposeTimes(reluJacobianRows(input), upstream);
        continue;
      }
      const sum = sums[l]!;
      const dz = upstream;
      // ∇Wˡ[m] = Hˡ⁻¹[m] ⊗ dzˡ (the outer product the report writes as Hˡ⁻¹ ∂σ/∂z ∇ŷ)
      input.forEach((hi, i) => {
        const row = sum.W[i]!;
        dz.forEach((dj, j) => {
          row[j]! += hi * dj;
        });
      });
      // ∇W₀ˡ[m] = dzˡ
      dz.forEach((dj, j) => {
        sum.b[j]! += dj;
      });
      // ∇Hˡ⁻¹[m] = Wˡ dzˡ
      upstream = layer.W.map((wi) => wi.reduce((acc, wij, j) => acc + wij * dz[j]!, 0));
    }
  }
  const grads = sums.map((sum): LayerLeaves => {
    if (sum === null) return {};
    return {
      W: toMatrix(
        sum.W.map((r) => r.map((v) => v / m)),
        sum.b.length,
      ),
      b: toMatrix([sum.b.map((v) => v / m)], sum.b.length),
    };
  });
  return { loss: meanNll(y, probs), grads };
};

/**
 * ∇R_L1(W) of section 1.7, re-derived: zero except column j* = argmaxⱼ Σᵢ |W[i][j]| (first on ties),
 * which holds sign(W[:, j*]); a bias gets sign(b) elementwise (the role decides, as in the report's
 * code, where b is a 1-D array and W a 2-D one). sign(0) = 0.
 *
 * The report's code computes round((w + 1e-6) / (|w| + 1e-6)) instead of sign(w): that maps w = 0
 * and w ∈ (−1e-6/3, 0) to +1, w ∈ (−3e-6, −1e-6/3) to 0, and only w < −3e-6 to −1. We follow
 * DESIGN.md's sign(0) = 0, the subgradient the maths asks for.
 */
export const l1MaxColumnSubgradient = (W: Matrix, role: 'weight' | 'bias'): Matrix => {
  const rows = rowsOfMatrix(W);
  if (role === 'bias')
    return toMatrix(
      rows.map((r) => r.map(sign)),
      W.columns,
    );
  const norms = Array.from({ length: W.columns }, (_, j) =>
    rows.reduce((s, r) => s + Math.abs(r[j]!), 0),
  );
  let jStar = 0;
  norms.forEach((n, j) => {
    if (n > norms[jStar]!) jStar = j;
  });
  return toMatrix(
    rows.map((r) => r.map((v, j) => (j === jStar ? sign(v) : 0))),
    W.columns,
  );
};

/** One SGD step with the L1 term (section 1.8): W ← W − η(∇W + λ ∂R(W)), and the same for biases. */
export const reportUpdate = (
  params: MlpParams,
  grads: MlpParams,
  lr: number,
  lambda: number,
): LayerLeaves[] => {
  if (!Array.isArray(grads) || grads.length !== params.length)
    throw new TypeError(
      `reportUpdate: grads must be an array of ${params.length} entries like params, got ${Array.isArray(grads) ? grads.length : typeof grads}`,
    );
  const step = (p: Matrix, g: Matrix, where: string, role: 'weight' | 'bias'): Matrix => {
    if (g.rows !== p.rows || g.columns !== p.columns)
      throw new RangeError(
        `reportUpdate: ${where}: gradient is ${g.rows}x${g.columns} but the parameter is ${p.rows}x${p.columns}`,
      );
    const r = rowsOfMatrix(l1MaxColumnSubgradient(p, role));
    const gs = rowsOfMatrix(g);
    return toMatrix(
      rowsOfMatrix(p).map((row, i) =>
        row.map((v, j) => v - lr * (gs[i]![j]! + lambda * r[i]![j]!)),
      ),
      p.columns,
    );
  };
  return params.map((p, i): LayerLeaves => {
    const g = grads[i] as Partial<DenseLeaves>;
    if (!('W' in p)) return {};
    if (!(g.W instanceof Matrix && g.b instanceof Matrix))
      throw new TypeError(`reportUpdate: grads[${i}] must be {W, b} like params[${i}]`);
    return {
      W: step(p.W, g.W, `params[${i}].W`, 'weight'),
      b: step(p.b, g.b, `params[${i}].b`, 'bias'),
    };
  });
};
