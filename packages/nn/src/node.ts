/**
 * Checkpoint files and crash-safe writes, for node (the rest is in @difftape/nn).
 *
 * @module @difftape/nn/node
 */

export { writeFileAtomic } from './atomic.js';
export {
  checkpointPaths,
  type LoadOptions,
  loadCheckpoint,
  MAX_CHECKPOINT_BYTES,
  saveCheckpoint,
} from './checkpoint-file.js';
export { type FileKindStats, fileKind } from './file-kind.js';
