import { GetObjectCommand, type GetObjectCommandOutput, type S3Client } from '@aws-sdk/client-s3';
import { ConsentMetricsError } from '../errors.ts';
import { StandardRetryStrategy } from '@smithy/core/retry';
import type { RetryStrategyV2, SdkError } from '@smithy/types';
import { BodyFault, isTimeout } from './retries.ts';
import { S3_DEFAULTS } from './createS3Client.ts';
import { s3Error } from './s3Error.ts';

/**
 * An object's bytes as a stream that survives network faults. The first GetObject fails at once,
 * with one line, when the object is missing or unreadable (the SDK has retried what it retries).
 * When the body then fails mid-stream (cut off, or silent for the client's idle timeout), it is
 * resumed from the byte where it stopped: a `Range` request with `If-Match` on the first response's
 * ETag, whose own ETag is checked too (some S3-compatible stores ignore `If-Match`), so the bytes
 * always belong to one version of the object. Each resume waits and spends budget through the
 * client's retry strategy, like any retried request; when the budget is spent, the error names the
 * object. The consumer sees one unbroken stream: no byte lost or repeated, gzip included.
 *
 * @example
 * for await (const chunk of await readObject(client, 'events', 'raw/datehour=2021-01-23-10/part-0.json')) parse(chunk);
 */
export async function readObject(s3: S3Client, bucket: string, key: string): Promise<AsyncIterable<Uint8Array>> {
  const location = `s3://${bucket}/${key}`;
  const get = async (Range?: string, IfMatch?: string) => {
    try {
      return await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key, Range, IfMatch }));
    } catch (error) {
      if ((error as Error).name === 'PreconditionFailed') throw changedWhileReading(location);
      throw s3Error(error, 'reading', location);
    }
  };
  const first = await get();
  return resumingBody(s3, first, location, (from) => get(`bytes=${from}-`, first.ETag));
}

async function* resumingBody(
  s3: S3Client,
  first: GetObjectCommandOutput,
  location: string,
  getFrom: (byte: number) => Promise<GetObjectCommandOutput>,
): AsyncGenerator<Uint8Array> {
  const configured = await s3.config.retryStrategy();
  // A client given with a legacy (v1) strategy: resume with the standard one and default attempts.
  const strategy: RetryStrategyV2 = 'acquireInitialRetryToken' in configured ? configured : new StandardRetryStrategy(S3_DEFAULTS.maxAttempts);
  let token = await strategy.acquireInitialRetryToken('s3:GetObject:body');
  let response = first;
  let received = 0;
  for (;;) {
    const end = received + (response.ContentLength ?? Number.POSITIVE_INFINITY);
    try {
      for await (const chunk of response.Body as AsyncIterable<Uint8Array>) {
        received += chunk.byteLength;
        yield chunk;
      }
      if (Number.isFinite(end) && received < end) throw new Error(`body ended at byte ${received} of ${end}`);
      strategy.recordSuccess(token);
      return;
    } catch (error) {
      const fault = new BodyFault(isTimeout(error) ? 'body_timeout' : 'body_cut', error);
      try {
        token = await strategy.refreshRetryTokenForRetry(token, { errorType: 'TRANSIENT', error: fault as unknown as SdkError });
      } catch {
        throw new ConsentMetricsError(`cannot read ${location}: ${fault.message} (after ${token.getRetryCount() + 1} attempt(s))`);
      }
    }
    response = await getFrom(received);
    if (first.ETag !== undefined && response.ETag !== first.ETag) throw changedWhileReading(location);
  }
}

const changedWhileReading = (location: string) =>
  new ConsentMetricsError(`${location} was replaced while it was read; rerun to read the new version`);
