/** What a file-system error code means, in words, for messages that name the path themselves. */
const REASONS: Partial<Record<string, string>> = {
  ENOENT: 'no such file or folder',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  ENOTDIR: 'a part of the path is not a folder',
  EISDIR: 'a directory, expected a file',
  ELOOP: 'too many symbolic links',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  ENAMETOOLONG: 'the name is too long',
};

/** `read-only file system (EROFS)`: the reason of a file-system error with its code. */
export const fsReason = (e: unknown): string => {
  const code = (e as NodeJS.ErrnoException).code;
  const reason = (code && REASONS[code]) ?? (e instanceof Error ? e.message : String(e));
  return code ? `${reason} (${code})` : reason;
};
