import type { Stats } from 'node:fs';

/** What a path that is not a regular file is, for messages: `a directory`, `a FIFO`, .... */
export const fileKind = (stat: Stats): string =>
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
