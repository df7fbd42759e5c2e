/**
 * A problem with the user's input or setup (missing root, bad flag, malformed line in strict mode).
 * The CLI prints its message as one line, without a stack trace; anything else is a bug and keeps its stack.
 *
 * @example
 * throw new ConsentMetricsError(`no partitions under ${root}`);
 */
export class ConsentMetricsError extends Error {
  /** Always `ConsentMetricsError`, for checks that cannot use `instanceof`. */
  override name = 'ConsentMetricsError';
}
