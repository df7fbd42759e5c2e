// What a reader does when a whole object's body does not match its checksum: read it again from the
// start. No SDK import: the parsers that use it load for local runs too.
import { ConsentMetricsError } from '../errors.ts';

/**
 * A whole object's body did not match the checksum S3 sent with it: its reader must read it again from
 * the start ({@link readAgainOnMismatch}), never resume it.
 *
 * @example
 * if (error instanceof ChecksumMismatchError) console.log('read it again');
 */
export class ChecksumMismatchError extends ConsentMetricsError {}

/**
 * Runs `read` (an object read and used from its start), and again while its body does not match its
 * checksum, `attempts` times in all; then fails with the mismatch, saying how many times it was read.
 *
 * @example
 * const parsed = await readAgainOnMismatch(5, () => parseStream(open, describe));
 */
export async function readAgainOnMismatch<T>(attempts: number, read: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await read();
    } catch (error) {
      if (!(error instanceof ChecksumMismatchError)) throw error;
      if (attempt >= attempts) throw new ChecksumMismatchError(`cannot read ${error.message} (read ${attempt} times)`);
    }
  }
}
