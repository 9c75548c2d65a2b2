import { decodeOrThrow, exactObject, nonNegativeInteger, numberCodec } from '@difftape/nn';
import * as t from 'io-ts';
import { TrainConfigCodec } from './config.js';

// Unbranded: the counters are plain numbers in the training loop.
const Count = numberCodec(nonNegativeInteger);
const Uint32 = numberCodec({
  name: 'an unsigned 32-bit integer',
  ok: (n) => Number.isInteger(n) && n >= 0 && n <= 2 ** 32 - 1,
});

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
