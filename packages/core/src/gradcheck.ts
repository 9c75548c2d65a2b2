import { vjpTree } from './grad.js';
import { filled, type Matrix, rowsOf } from './matrix.js';
import { type Key, key as makeKey, normal, split } from './random.js';
import { rawOf, type Tensor } from './tape.js';
import { type Tree, treeFlatten, treeUnflatten } from './tree.js';

/** Options of `checkGrad`. A comparison passes when |analytic − numeric| ≤ atol + rtol·max(|analytic|, |numeric|). */
export interface CheckGradOptions {
  readonly rtol?: number;
  readonly atol?: number;
  /** Step of the central differences (f(x + εu) − f(x − εu)) / 2ε. */
  readonly eps?: number;
  /** 'full' compares every Jacobian entry; 'directions' compares vᵀJu for random u, v; 'auto' picks. */
  readonly mode?: 'auto' | 'full' | 'directions';
  /** 'auto' goes full when (input entries) × (output entries) is at most this. */
  readonly maxFullEntries?: number;
  /** Random directions per parameter leaf in 'directions' mode. */
  readonly directions?: number;
  /** The PRNG key the directions come from. */
  readonly key?: Key;
}

/** The comparison that fared worst: where it was and both values. */
export interface GradCheckWorst {
  /** Path of the parameter leaf, as `treeFlatten` names it (`layers.0.W`). */
  readonly leaf: string;
  /** Entry of the leaf (full mode), or null (directions mode). */
  readonly index: readonly [number, number] | null;
  /** Entry of the output (full mode), or null (directions mode). */
  readonly output: readonly [number, number] | null;
  /** Which random direction (directions mode), or null. */
  readonly direction: number | null;
  readonly analytic: number;
  readonly numeric: number;
  /** |analytic − numeric| / (atol + rtol·max(|analytic|, |numeric|)): above 1 fails. */
  readonly ratio: number;
}

/** What `checkGrad` found. */
export interface GradCheckReport {
  readonly ok: boolean;
  readonly mode: 'full' | 'directions';
  /** How many numbers were compared. */
  readonly checked: number;
  readonly worst: GradCheckWorst | null;
  /** One line for a test failure or a log. */
  readonly message: string;
}

const perturbed = (leaf: Matrix, delta: Matrix | [number, number], eps: number): Matrix => {
  const out = leaf.clone();
  if (Array.isArray(delta)) {
    out.set(delta[0], delta[1], leaf.get(delta[0], delta[1]) + eps);
  } else {
    const ds = rowsOf(delta);
    for (let i = 0; i < leaf.rows; i++)
      for (let j = 0; j < leaf.columns; j++) out.set(i, j, leaf.get(i, j) + eps * ds[i]![j]!);
  }
  return out;
};

const dot = (a: Matrix, b: Matrix): number => {
  let s = 0;
  const as = rowsOf(a);
  const bs = rowsOf(b);
  for (let i = 0; i < a.rows; i++) for (let j = 0; j < a.columns; j++) s += as[i]![j]! * bs[i]![j]!;
  return s;
};

/**
 * Compares the tape's derivatives of f with central differences: every Jacobian entry for small
 * problems, random projections vᵀJu (one parameter leaf at a time) for large ones. f may return
 * any shape; its parameters are a tree of matrices.
 */
export const checkGrad = <P extends Tree<Tensor>>(
  f: (params: P) => Tensor,
  params: P,
  options: CheckGradOptions = {},
): GradCheckReport => {
  const { rtol = 1e-5, atol = 1e-7, eps = 1e-6, maxFullEntries = 4000, directions = 3 } = options;
  const flat = treeFlatten<Tensor>(params);
  const { paths } = flat;
  const leaves = flat.leaves.map(rawOf);
  const evalAt = (leafIndex: number, leaf: Matrix): Matrix => {
    const swapped = leaves.map((l, i) => (i === leafIndex ? leaf : l));
    // params with one leaf swapped for another of its shape: still a P.
    return rawOf(f(treeUnflatten(params, swapped) as P));
  };
  const [out, pullback] = vjpTree(f, params);
  const outEntries = out.rows * out.columns;
  const inEntries = leaves.reduce((n, l) => n + l.rows * l.columns, 0);
  const mode =
    options.mode === 'full' ||
    (options.mode !== 'directions' && inEntries * outEntries <= maxFullEntries)
      ? 'full'
      : 'directions';

  let worst: GradCheckWorst | null = null;
  let checked = 0;
  const compare = (candidate: Omit<GradCheckWorst, 'ratio'>): void => {
    const { analytic, numeric } = candidate;
    const tol = atol + rtol * Math.max(Math.abs(analytic), Math.abs(numeric));
    const diff = Math.abs(analytic - numeric);
    const ratio = Number.isNaN(diff) ? Number.POSITIVE_INFINITY : diff / tol;
    checked++;
    if (worst === null || ratio > worst.ratio) worst = { ...candidate, ratio };
  };

  if (mode === 'full') {
    // Row r of the Jacobian from one pullback per output entry, columns from central differences.
    const jacobianRows: Matrix[][] = [];
    for (let r = 0; r < outEntries; r++) {
      const basis = filled(out.rows, out.columns, 0);
      basis.set(Math.floor(r / out.columns), r % out.columns, 1);
      jacobianRows.push(treeFlatten(pullback(basis)).leaves.map(rawOf));
    }
    leaves.forEach((leaf, l) => {
      for (let i = 0; i < leaf.rows; i++) {
        for (let j = 0; j < leaf.columns; j++) {
          const plus = evalAt(l, perturbed(leaf, [i, j], eps));
          const minus = evalAt(l, perturbed(leaf, [i, j], -eps));
          for (let r = 0; r < outEntries; r++) {
            const oi = Math.floor(r / out.columns);
            const oj = r % out.columns;
            compare({
              leaf: paths[l]!,
              index: [i, j],
              output: [oi, oj],
              direction: null,
              analytic: jacobianRows[r]![l]!.get(i, j),
              numeric: (plus.get(oi, oj) - minus.get(oi, oj)) / (2 * eps),
            });
          }
        }
      }
    });
  } else {
    let k = options.key ?? makeKey(0);
    leaves.forEach((leaf, l) => {
      for (let d = 0; d < directions; d++) {
        const [next, ku, kv] = split(k, 3);
        k = next;
        const u = normal(ku, leaf.rows, leaf.columns);
        const v = normal(kv, out.rows, out.columns);
        const g = rawOf(treeFlatten(pullback(v)).leaves[l]!);
        const plus = evalAt(l, perturbed(leaf, u, eps));
        const minus = evalAt(l, perturbed(leaf, u, -eps));
        compare({
          leaf: paths[l]!,
          index: null,
          output: null,
          direction: d,
          analytic: dot(g, u),
          numeric: (dot(v, plus) - dot(v, minus)) / (2 * eps),
        });
      }
    });
  }
  const w = worst as GradCheckWorst | null;
  const ok = w === null || w.ratio <= 1;
  const where =
    w === null
      ? ''
      : w.index
        ? `${w.leaf || '(root)'}[${w.index.join(', ')}] → output[${w.output!.join(', ')}]`
        : `${w.leaf || '(root)'}, direction ${w.direction}`;
  const message =
    w === null
      ? `checkGrad (${mode}): nothing to compare`
      : `checkGrad (${mode}, ${checked} comparisons): ${ok ? 'ok' : 'MISMATCH'}; worst at ${where}: analytic ${w.analytic}, numeric ${w.numeric} (${w.ratio.toPrecision(3)}× the tolerance)`;
  return { ok, mode, checked, worst: w, message };
};

/** `checkGrad` that throws its message when the gradient is wrong: for users' tests. */
export const assertGrad = <P extends Tree<Tensor>>(
  f: (params: P) => Tensor,
  params: P,
  options: CheckGradOptions = {},
): GradCheckReport => {
  const report = checkGrad(f, params, options);
  if (!report.ok) throw new Error(report.message);
  return report;
};
