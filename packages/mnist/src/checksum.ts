import { createHash } from 'node:crypto';
import { DataError } from './data-error.js';

/** The SHA-256 of `bytes` as 64 lowercase hex digits. */
export const sha256Hex = (bytes: Uint8Array): string =>
  createHash('sha256').update(bytes).digest('hex');

/**
 * Parses a `sha256sum` listing (`<64 hex>  <name>` or `<64 hex> *<name>` per line; blank lines
 * and `#` comments skipped) into a map from file name to lowercase sum. `source` names the
 * listing in errors.
 */
export const parseSha256Sums = (text: string, source: string): Map<string, string> => {
  const sums = new Map<string, string>();
  text.split(/\r?\n/).forEach((line, i) => {
    if (line.trim() === '' || line.startsWith('#')) return;
    const m = /^([0-9a-fA-F]{64}) [ *](.+)$/.exec(line);
    if (!m) {
      throw new DataError(
        `${source}:${i + 1}: expected "<64 hex digits>  <file name>", found "${line}"`,
      );
    }
    // Both groups are required by the pattern, so a match has them.
    const [sum, name] = [m[1]!, m[2]!];
    if (sums.has(name)) throw new DataError(`${source}:${i + 1}: ${name} is listed twice`);
    sums.set(name, sum.toLowerCase());
  });
  return sums;
};

/** Throws unless `bytes` hash to `expected`; the error names the file and both sums. */
export const verifySha256 = (bytes: Uint8Array, name: string, expected: string): void => {
  const actual = sha256Hex(bytes);
  if (actual !== expected.toLowerCase()) {
    throw new DataError(
      `sha256 mismatch for ${name}: expected ${expected.toLowerCase()}, got ${actual}`,
    );
  }
};
