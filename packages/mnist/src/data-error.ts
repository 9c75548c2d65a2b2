/**
 * A data file or folder that cannot be loaded (IDX, gzip, PNG, label or checksum files): the
 * message names the file, what is wrong and what was expected. Every loader throws only this for
 * bad input, so a caller can tell a bad file from a bug.
 */
export class DataError extends Error {
  override name = 'DataError';
}
