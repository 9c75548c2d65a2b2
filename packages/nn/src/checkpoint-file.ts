// The default import (not named imports) so tests can make one fs step fail with vi.spyOn.
import fs from 'node:fs';
import { dirname } from 'node:path';
import { isPlainObject } from '@difftape/core';
import { fsyncDir, removeStaleTemps, writeTemp } from './atomic.js';
import {
  type Checkpoint,
  CheckpointError,
  completeCheckpoint,
  type DecodeOptions,
  decodeText,
  encodeCheckpoint,
  type LoadedCheckpoint,
  type ManifestText,
  planCheckpoint,
} from './checkpoint.js';
import { fileKind } from './file-kind.js';
import { CHECKPOINT_FORMAT } from './manifest.js';
import { type Dtype, headerLength, parseSafetensorsHeader } from './safetensors.js';

/**
 * Checkpoint files: one `<name>.safetensors` written with one atomic rename, so a crash at any
 * moment leaves the previous checkpoint or the new one, complete. Loading reads only what the
 * header declares, after checking the file is a regular file of a bounded size; it also loads the
 * two-file checkpoints of version 1 (`<name>.safetensors` + the `<name>.json` manifest).
 */

/** The largest checkpoint file `loadCheckpoint` reads unless told otherwise (2 GiB). */
export const MAX_CHECKPOINT_BYTES = 2 ** 31;
/** The largest `.json` manifest of a two-file checkpoint that is read (16 MiB). */
const MAX_LEGACY_MANIFEST_BYTES = 2 ** 24;

/** The file of the checkpoint named by `path`, and the `.json` of a two-file one beside it. */
export const checkpointPaths = (path: string): { tensors: string; manifest: string } => {
  const base = path.endsWith('.safetensors')
    ? path.slice(0, -'.safetensors'.length)
    : path.endsWith('.json')
      ? path.slice(0, -'.json'.length)
      : undefined;
  if (base === undefined || base === '' || /[\\/]$/.test(base)) {
    throw new CheckpointError(
      `checkpoint: ${path}: expected a path ending in .safetensors (or the .json manifest of an older two-file checkpoint)`,
    );
  }
  return { tensors: `${base}.safetensors`, manifest: `${base}.json` };
};

/**
 * Saves `checkpoint` as one file `<name>.safetensors` (`path` may also name an old `.json`):
 * written to a temp file, fsynced, renamed over the previous checkpoint. Until the rename the
 * previous checkpoint stays as it was; a failed save removes its temp file, and stale temp files of
 * interrupted saves are removed first. An old two-file checkpoint's `.json` is removed after.
 */
export const saveCheckpoint = (
  path: string,
  checkpoint: Checkpoint,
  options: { dtype?: Dtype } = {},
): void => {
  const paths = checkpointPaths(path);
  const bytes = encodeCheckpoint(checkpoint, options);
  removeStaleTemps(paths.tensors);
  let temp: string | undefined;
  try {
    temp = writeTemp(paths.tensors, bytes);
    fs.renameSync(temp, paths.tensors);
  } catch (e) {
    if (temp !== undefined) fs.rmSync(temp, { force: true });
    throw new CheckpointError(
      `checkpoint: saving ${paths.tensors} failed (the previous checkpoint, if any, is untouched): ${(e as Error).message}`,
      { cause: e },
    );
  }
  fsyncDir(dirname(paths.tensors));
  removeLegacyManifest(paths.manifest);
};

/** Removes `<name>.json` if it is a two-file checkpoint's manifest (the new file carries its own). */
const removeLegacyManifest = (path: string): void => {
  try {
    const stat = fs.statSync(path);
    if (!stat.isFile() || stat.size > MAX_LEGACY_MANIFEST_BYTES) return;
    const json: unknown = JSON.parse(fs.readFileSync(path, 'utf8'));
    if (isPlainObject(json) && json.format === CHECKPOINT_FORMAT) fs.rmSync(path, { force: true });
  } catch {
    // No old manifest, or one that cannot be read: the loader ignores it either way.
  }
};

const ioError = (path: string, e: unknown): CheckpointError => {
  const code = (e as NodeJS.ErrnoException).code;
  const reason =
    code === 'ENOENT'
      ? 'no such file'
      : code === 'EACCES'
        ? 'permission denied'
        : (e as Error).message;
  return new CheckpointError(`checkpoint: ${path}: ${reason}`, { cause: e });
};

/** An open regular file of at most `maxBytes` (checked before opening, so a FIFO never blocks). */
interface OpenFile {
  readonly fd: number;
  readonly size: number;
  readonly path: string;
}

const openRegular = (path: string, maxBytes: number): OpenFile => {
  const refuse = (stat: fs.Stats): never => {
    if (!stat.isFile())
      throw new CheckpointError(`checkpoint: ${path}: ${fileKind(stat)}, expected a regular file`);
    throw new CheckpointError(
      `checkpoint: ${path}: ${stat.size} bytes, more than the ${maxBytes}-byte limit`,
    );
  };
  let fd: number;
  try {
    const before = fs.statSync(path);
    if (!before.isFile() || before.size > maxBytes) refuse(before);
    fd = fs.openSync(path, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  } catch (e) {
    throw e instanceof CheckpointError ? e : ioError(path, e);
  }
  const stat = fs.fstatSync(fd);
  if (!stat.isFile() || stat.size > maxBytes) {
    fs.closeSync(fd);
    refuse(stat);
  }
  return { fd, size: stat.size, path };
};

/** Exactly `length` bytes at `position`; a file that shrank meanwhile is an error. */
const readAt = (file: OpenFile, position: number, length: number): Uint8Array => {
  const out = new Uint8Array(length);
  let done = 0;
  while (done < length) {
    const n = fs.readSync(file.fd, out, done, length - done, position + done);
    if (n === 0) {
      throw new CheckpointError(
        `checkpoint: ${file.path}: ended after ${position + done} bytes, its header declares ${position + length} (was it changed while being read?)`,
      );
    }
    done += n;
  }
  return out;
};

/** Reads a whole regular file of at most `maxBytes`. */
const readBounded = (path: string, maxBytes: number): Uint8Array => {
  const file = openRegular(path, maxBytes);
  try {
    return readAt(file, 0, file.size);
  } finally {
    fs.closeSync(file.fd);
  }
};

/** How to load: `maxBytes` bounds the file's size (default 2 GiB); see `DecodeOptions`. */
export interface LoadOptions<M> extends DecodeOptions<M> {
  readonly maxBytes?: number;
}

/**
 * Loads the checkpoint named by `path` (`x.safetensors`, or `x.json` of a two-file checkpoint):
 * the header and manifest are checked against each other (and the model spec against the tensors)
 * before the tensors are read, the SHA-256 covers everything returned, non-finite parameters are
 * refused, and `options.meta` validates `meta`. Errors are `CheckpointError`s or `SafetensorsError`s.
 */
export const loadCheckpoint = <M = Record<string, unknown>>(
  path: string,
  options: LoadOptions<M> = {},
): LoadedCheckpoint<M> => {
  const paths = checkpointPaths(path);
  const file = openRegular(paths.tensors, options.maxBytes ?? MAX_CHECKPOINT_BYTES);
  try {
    const first8 = readAt(file, 0, Math.min(8, file.size));
    const n = headerLength(first8, file.size, paths.tensors);
    const headerBytes = readAt(file, 8, n);
    const header = parseSafetensorsHeader(headerBytes, file.size - 8 - n, paths.tensors);
    const legacy = Object.hasOwn(header.metadata, 'manifest')
      ? undefined
      : readLegacyManifest(paths);
    const plan = planCheckpoint(header, paths.tensors, legacy);
    const prefix = new Uint8Array(8 + n);
    prefix.set(first8);
    prefix.set(headerBytes, 8);
    const buffer = readAt(file, 8 + n, header.bufferBytes);
    return completeCheckpoint(plan, prefix, buffer, options);
  } finally {
    fs.closeSync(file.fd);
  }
};

const readLegacyManifest = (paths: { tensors: string; manifest: string }): ManifestText => {
  if (!fs.existsSync(paths.manifest)) {
    throw new CheckpointError(
      `checkpoint: ${paths.tensors}: its header holds no manifest, and there is no ${paths.manifest} beside it (an older two-file checkpoint needs both files)`,
    );
  }
  const bytes = readBounded(paths.manifest, MAX_LEGACY_MANIFEST_BYTES);
  return { text: decodeText(bytes, paths.manifest), what: paths.manifest };
};
