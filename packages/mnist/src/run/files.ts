import { join } from 'node:path';

/** The files of a run folder, by role. */
export interface RunFiles {
  /** The run's hyperparameters (`TrainConfigCodec`), written before training starts. */
  readonly config: string;
  /** One `EpochRecord` per line, epoch 0 measured before training. */
  readonly metrics: string;
  /** The last good checkpoint: parameters, optimiser state, model spec and `CheckpointMeta`. */
  readonly checkpoint: string;
  /** Held by the process training into the folder: its pid, so a stale lock can be told. */
  readonly lock: string;
}

/** Where each file of the run folder `runDir` lives. */
export const runFiles = (runDir: string): RunFiles => ({
  config: join(runDir, 'config.json'),
  metrics: join(runDir, 'metrics.jsonl'),
  checkpoint: join(runDir, 'checkpoint.safetensors'),
  lock: join(runDir, 'train.lock'),
});
