import type { S3Client } from '@aws-sdk/client-s3';
import { StandardRetryStrategy } from '@smithy/core/retry';
import type { RetryErrorInfo, StandardRetryToken } from '@smithy/types';
import { noRetries, RETRY_KINDS, type RetryCounts, type RetryKind } from './retryKinds.ts';

/** A response body that failed mid-stream: retried like any transient error, counted as its own kind. */
export class BodyFault extends Error {
  override name = 'BodyFault';
  constructor(readonly kind: 'body_cut' | 'body_timeout', cause: unknown) {
    super((cause as Error)?.message || kind, { cause });
  }
}

/**
 * The SDK's `standard` retry strategy (exponential backoff with jitter, a longer base for throttling,
 * a retry quota shared by every request of the client) that also counts each retry it grants, by
 * kind. Body resumes go through the same instance, so they share its backoff and its budget.
 */
export class CountingRetryStrategy extends StandardRetryStrategy {
  readonly counts: RetryCounts = noRetries();

  override async refreshRetryTokenForRetry(token: StandardRetryToken, errorInfo: RetryErrorInfo): Promise<StandardRetryToken> {
    const next = await super.refreshRetryTokenForRetry(token, errorInfo); // throws when no retry is left
    this.counts[retryKindOf(errorInfo)]++;
    return next;
  }
}

function retryKindOf({ error, errorType }: RetryErrorInfo): RetryKind {
  if (error instanceof BodyFault) return error.kind;
  if ((error as { stall?: string })?.stall === 'upload_slow') return 'upload_slow';
  if (errorType === 'THROTTLING') return 'throttled';
  if (isTimeout(error)) return 'timeout';
  if (((error as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode ?? 0) >= 500) return 'server_error';
  return 'connection';
}

/** Codes of a connection refused or cut; the SDK names some of them `TimeoutError` all the same. */
const CONNECTION_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);

/** Whether an error is a timeout (nothing heard in time) rather than a connection refused or cut. */
export function isTimeout(error: unknown): boolean {
  const { name, code } = (error ?? {}) as { name?: string; code?: string };
  if (code !== undefined && CONNECTION_CODES.has(code)) return false;
  return name === 'TimeoutError' || code === 'ETIMEDOUT';
}

/**
 * Adds retries made elsewhere (a worker thread's own client, on this client's behalf) to `client`'s
 * counts, when it was made by `createS3Client`, so that the run's report counts them.
 *
 * @example
 * await addRetryCounts(client, countsFromAWorker);
 */
export async function addRetryCounts(client: S3Client, counts: RetryCounts): Promise<void> {
  const strategy = await client.config.retryStrategy();
  if (strategy instanceof CountingRetryStrategy) for (const kind of RETRY_KINDS) strategy.counts[kind] += counts[kind];
}

/**
 * A copy of the retries a client has made so far, by kind, when it was made by `createS3Client`
 * (another client's strategy does not count); subtract two copies to get one run's share.
 *
 * @example
 * const before = await retryCountsOf(client);
 */
export async function retryCountsOf(client: S3Client): Promise<RetryCounts | undefined> {
  const strategy = await client.config.retryStrategy();
  return strategy instanceof CountingRetryStrategy ? { ...strategy.counts } : undefined;
}
