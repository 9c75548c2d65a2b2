import { type Matrix, NonFiniteError, type Tree, treeFlatten } from '@difftape/core';
import { firstNonFinite } from '@difftape/core/kernels';

/** Training met a NaN or ±Infinity: the message names the step, epoch, op and layer. */
export class DivergedError extends Error {
  override name = 'DivergedError';
}

/** Where the bad step was: the optimiser step (1-based, over the whole run) and its epoch. */
export interface StepSite {
  readonly step: number;
  readonly epoch: number;
}

/**
 * The first non-finite value among a tree's matrices, with the leaf's path and the index. Runs
 * after every step, so it reads each leaf's flat storage (core's firstNonFinite): asking for row
 * views would make them for every fresh parameter, about 0.3 s per epoch of the report's run.
 */
export const firstNonFiniteLeaf = (
  tree: Tree,
): { path: string; row: number; col: number; value: number } | undefined => {
  const { paths, leaves } = treeFlatten<Matrix>(tree);
  for (let l = 0; l < leaves.length; l++) {
    const at = firstNonFinite(leaves[l]!);
    if (at !== undefined) {
      const [row, col] = at;
      return { path: paths[l]!, row, col, value: leaves[l]!.get(row, col) };
    }
  }
  return undefined;
};

/** `'log' in layer 3 produced -Infinity`, from core's checkFinite error. */
export const describeNonFinite = (e: NonFiniteError): string =>
  `'${e.op}'${e.layer ? ` in layer ${e.layer.index} (${e.layer.name})` : ' (outside the model: the loss)'} ` +
  `produced ${e.value}${e.pass === 'backward' ? ' in the backward pass' : ''}`;

/**
 * Why a step went non-finite: `rerun` repeats it with checkFinite on, which throws naming the op;
 * if it does not throw, the values were fine and the update itself overflowed (`updated` names it).
 */
export const diagnose = (
  site: StepSite,
  rerun: () => unknown,
  loss: number,
  updated: Tree,
): DivergedError => {
  const at = `step ${site.step} (epoch ${site.epoch})`;
  try {
    rerun();
  } catch (e) {
    if (e instanceof NonFiniteError) return new DivergedError(`${at}: ${describeNonFinite(e)}`);
    throw e;
  }
  const bad = firstNonFiniteLeaf(updated);
  if (bad)
    return new DivergedError(
      `${at}: the update made parameter ${bad.path}[${bad.row}, ${bad.col}] ${bad.value} (loss ${loss}); try a smaller --lr`,
    );
  return new DivergedError(`${at}: the loss is ${loss}`);
};
