import { decodeOrThrow, exactObject } from '@difftape/nn';
import * as t from 'io-ts';
import { TrainConfigCodec } from './config.js';

/** An integer in [0, max], unbranded: the counters are plain numbers in the training loop. */
const intUpTo = (name: string, max: number) => {
  const ok = (u: unknown): u is number => Number.isInteger(u) && Number(u) >= 0 && Number(u) <= max;
  return new t.Type<number, number, unknown>(
    name,
    ok,
    (u, c) => (ok(u) ? t.success(u) : t.failure(u, c)),
    (a) => a,
  );
};
const Count = intUpTo('a non-negative integer', Number.MAX_SAFE_INTEGER);
const Uint32 = intUpTo('an unsigned 32-bit integer', 2 ** 32 - 1);

/**
 * The `meta` of a run's checkpoint: where the run stands (finished epochs, steps into the next
 * one, optimiser steps in total), the init key's data, and the config it was trained with.
 */
export const CheckpointMeta = exactObject(
  {
    epoch: Count,
    stepInEpoch: Count,
    step: Count,
    key: t.tuple([Uint32, Uint32]),
    config: TrainConfigCodec,
  },
  {},
  'the checkpoint meta of a training run',
);
/** The `meta` of a run's checkpoint. */
export type CheckpointMeta = t.TypeOf<typeof CheckpointMeta>;

/** A checkpoint's meta from what the loader returned; messages name `what` (the file). */
export const decodeCheckpointMeta = (meta: unknown, what: string): CheckpointMeta =>
  decodeOrThrow(CheckpointMeta, meta, `${what}: meta`);

/** The JSON form of `meta`, as `saveCheckpoint` stores it. */
export const encodeCheckpointMeta = (meta: CheckpointMeta): Record<string, unknown> =>
  CheckpointMeta.encode(meta);
