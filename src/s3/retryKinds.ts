// What the run report counts of S3 retries, by kind: plain data, with no SDK import, so a run on
// local files does not load the SDK (see retries.ts for the strategy that counts them).

/**
 * Why a request was retried, as the run report counts it:
 * - `throttled`: 503 SlowDown and other throttling answers;
 * - `server_error`: another 5xx;
 * - `connection`: the connection was refused or reset before a response;
 * - `timeout`: no connection within `connectTimeout`, or no response within `idleTimeout`;
 * - `body_cut`: a response body ended or failed before its last byte (it resumes where it stopped);
 * - `body_timeout`: a response body went silent for `idleTimeout` (it resumes where it stopped);
 * - `body_slow`: a response body stalled (silent far longer than the run's usual gaps, `stallTimeout`
 *   at the least): the rest was asked for on another connection, and the first to answer was used;
 * - `upload_slow`: a PutObject or UploadPart stalled the same way, and was sent again;
 * - `checksum`: a whole object's body did not match the checksum S3 sent with it, and was read again whole.
 *
 * @example
 * const kind: RetryKind = 'body_cut';
 */
export type RetryKind = 'throttled' | 'server_error' | 'connection' | 'timeout' | 'body_cut' | 'body_timeout' | 'body_slow' | 'upload_slow' | 'checksum';
/**
 * Every {@link RetryKind}, in report order.
 *
 * @example
 * RETRY_KINDS.filter((kind) => report.retries[kind] > 0); // the kinds a run met
 */
export const RETRY_KINDS: readonly RetryKind[] = ['throttled', 'server_error', 'connection', 'timeout', 'body_cut', 'body_timeout', 'body_slow', 'upload_slow', 'checksum'];

/**
 * Retries by kind, as the run report has them (`report.retries`).
 *
 * @example
 * const { body_cut, body_timeout } = report.retries; // bodies resumed mid-stream
 */
export type RetryCounts = Record<RetryKind, number>;

/**
 * Retry counts of every kind at zero.
 *
 * @example
 * noRetries(); // { throttled: 0, server_error: 0, ..., body_slow: 0, upload_slow: 0 }
 */
export const noRetries = (): RetryCounts => ({ throttled: 0, server_error: 0, connection: 0, timeout: 0, body_cut: 0, body_timeout: 0, body_slow: 0, upload_slow: 0, checksum: 0 });

/** `after - before`, kind by kind. */
export function retriesBetween(before: RetryCounts | undefined, after: RetryCounts | undefined): RetryCounts {
  const counts = noRetries();
  for (const kind of RETRY_KINDS) counts[kind] = (after?.[kind] ?? 0) - (before?.[kind] ?? 0);
  return counts;
}
