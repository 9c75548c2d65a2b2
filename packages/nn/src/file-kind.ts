/**
 * The tests of `fs.Stats` that `fileKind` reads: structural, so the shipped .d.ts needs no
 * `node:fs` types (a consumer without @types/node still type-checks against nn).
 */
export interface FileKindStats {
  /** A directory. */
  isDirectory(): boolean;
  /** A named pipe. */
  isFIFO(): boolean;
  /** A character device such as `/dev/zero`. */
  isCharacterDevice(): boolean;
  /** A block device. */
  isBlockDevice(): boolean;
  /** A Unix socket. */
  isSocket(): boolean;
}

/** What a path that is not a regular file is, for messages: `a directory`, `a FIFO`, .... */
export const fileKind = (stat: FileKindStats): string =>
  stat.isDirectory()
    ? 'a directory'
    : stat.isFIFO()
      ? 'a FIFO'
      : stat.isCharacterDevice()
        ? 'a character device'
        : stat.isBlockDevice()
          ? 'a block device'
          : stat.isSocket()
            ? 'a socket'
            : 'not a regular file';
