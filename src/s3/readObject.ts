import { GetObjectCommand, type GetObjectCommandOutput, type S3Client } from '@aws-sdk/client-s3';
import { ConsentMetricsError } from '../errors.ts';
import { StandardRetryStrategy } from '@smithy/core/retry';
import type { RetryStrategyV2, SdkError } from '@smithy/types';
import { paceOf, type BodyPace } from './BodyPace.ts';
import { BodyFault, CountingRetryStrategy, isTimeout } from './retries.ts';
import { S3_DEFAULTS, settingsOf } from './createS3Client.ts';
import { Crc64Nvme } from './crc64Nvme.ts';
import { ChecksumMismatchError, readAgainOnMismatch } from './checksumMismatch.ts';
import { s3Error } from './s3Error.ts';

/**
 * An object's bytes as a stream that survives network faults. The first GetObject fails at once,
 * with one line, when the object is missing or unreadable (the SDK has retried what it retries).
 * When the body then fails mid-stream (cut off, or silent for the client's idle timeout), it is
 * resumed from the byte where it stopped: a `Range` request with `If-Match` on the first response's
 * ETag, whose own ETag is checked too (some S3-compatible stores ignore `If-Match`), so the bytes
 * always belong to one version of the object. A body that stalls (silent far longer than the client's
 * bodies usually are: `BodyPace`) gets the same request for its rest beside it, on another connection;
 * whichever answers first goes on, and the other is dropped. Each resume waits and spends budget through the
 * client's retry strategy, like any retried request; when the budget is spent, the error names the
 * object. The consumer sees one unbroken stream: no byte lost or repeated, gzip included.
 *
 * @example
 * for await (const chunk of await readObject(client, 'events', 'raw/datehour=2021-01-23-10/part-0.json')) parse(chunk);
 */
export async function readObject(s3: S3Client, bucket: string, key: string, { range, etag }: ReadObjectOptions = {}): Promise<AsyncIterable<Uint8Array>> {
  const location = `s3://${bucket}/${key}`;
  const end = range ? range.end : '';
  const get = async (Range?: string, IfMatch?: string, withChecksum = false) => {
    const command = new GetObjectCommand({ Bucket: bucket, Key: key, Range, IfMatch });
    // The header alone (not the input's ChecksumMode, with which the SDK checks the body itself).
    if (withChecksum) command.middlewareStack.add((next) => (args) => next(withHeader(args, 'x-amz-checksum-mode', 'ENABLED')), { step: 'build', name: 'askForChecksum' });
    try {
      return await s3.send(command);
    } catch (error) {
      if ((error as Error).name === 'PreconditionFailed') throw changedWhileReading(location);
      if ((error as Error).name === 'NoSuchKey') throw new ObjectMissingError(s3Error(error, 'reading', location).message);
      throw s3Error(error, 'reading', location);
    }
  };
  const first = await get(range && `bytes=${range.start}-${end}`, etag, !range && settingsOf(s3)?.checksums !== false && settingsOf(s3) !== undefined);
  if (etag !== undefined && first.ETag !== undefined && first.ETag !== etag) {
    destroy(first); // a store that ignores If-Match
    throw changedWhileReading(location);
  }
  return resumingBody(s3, first, location, (from) => get(`bytes=${(range?.start ?? 0) + from}-${end}`, first.ETag));
}

/**
 * Bytes of an object, both ends inclusive.
 *
 * @example
 * const firstPart: ByteRange = { start: 0, end: (8 << 20) - 1 };
 */
export interface ByteRange {
  /** The first byte. */
  start: number;
  /** The last byte. */
  end: number;
}

/**
 * Which bytes of an object `readObject` reads, and of which version.
 *
 * @example
 * await readObject(client, 'events', key, { range: { start: 0, end: (8 << 20) - 1 }, etag: '"9b2cf535f27731c974343645a3985328"' });
 */
export interface ReadObjectOptions {
  /** Bytes `start` to `end`, both inclusive (an HTTP `Range`). Default: the whole object. */
  range?: ByteRange;
  /** Read only this version (`If-Match`): another one is `... was replaced while it was read`. Default: the current one. */
  etag?: string;
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
  const pace = paceOf(s3);
  let token = await strategy.acquireInitialRetryToken('s3:GetObject:body');
  let response = first;
  let received = 0;
  let hedges = 0;
  // A whole object's checksum, when S3 sent one for it (not one of parts' checksums), over every byte given on.
  const expected = first.ChecksumCRC64NVME !== undefined && first.ChecksumType !== 'COMPOSITE' ? first.ChecksumCRC64NVME : undefined;
  const crc = expected === undefined ? undefined : new Crc64Nvme();
  // A reader that stops early (a parse error, a `break`) lets go of the connection at once.
  let ended = false;
  const watch = new StallWatch(pace);
  try {
    for (;;) {
      const end = () => received + (response.ContentLength ?? Number.POSITIVE_INFINITY);
      let last = end();
      try {
        let chunks = bodyOf(response)[Symbol.asyncIterator]();
        for (let since = performance.now(); ;) {
          const next = chunks.next();
          let step = await watch.within(next);
          if (step === STALLED && hedges < MAX_HEDGES) {
            // Silent far longer than this run's bodies usually are: ask for the rest on another connection,
            // and take whichever answers first. Bytes come from one of them only, from `received` on.
            hedges++;
            const hedge = startHedge(getFrom, received, first.ETag, location);
            const winner = await Promise.any([next.then((result) => ({ result })), hedge.then((started) => ({ started }))]).catch((error: AggregateError) => {
              throw error.errors[0];
            });
            if ('started' in winner) {
              next.catch(() => {}); // the stalled body's read fails when it is destroyed
              destroy(response);
              if (strategy instanceof CountingRetryStrategy) strategy.counts.body_slow++;
              ({ response, chunks } = winner.started);
              last = end();
              step = winner.started.first;
            } else {
              step = winner.result;
              void hedge.then(({ response: unused }) => destroy(unused), () => {});
            }
          } else if (step === STALLED) {
            step = await next; // no hedge left: the connection's idle timeout is the bound
          }
          if (step.done) break;
          const now = performance.now();
          pace.record(now - since);
          since = now;
          received += step.value.byteLength;
          crc?.update(step.value);
          yield step.value;
        }
        if (Number.isFinite(last) && received < last) throw new Error(`body ended at byte ${received} of ${last}`);
        if (crc) {
          const actual = Buffer.from(await crc.digest()).toString('base64');
          if (actual !== expected) throw checksumMismatch(strategy, location, `expected "${expected}" (x-amz-checksum-crc64nvme), the body's is "${actual}"`);
        }
        strategy.recordSuccess(token);
        ended = true;
        return;
      } catch (error) {
        if (error instanceof ConsentMetricsError) throw error;
        // The bytes given on are not the object's: resuming would splice them with the rest. The reader starts over.
        if (isChecksumMismatch(error)) throw checksumMismatch(strategy, location, (error as Error).message.replace(/^Checksum mismatch: /, ''));
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
  } finally {
    watch.stop();
    if (!ended) destroy(response);
  }
}

/** Hedged requests per object body: each one is a GET of the rest, beside the stalled one. */
const MAX_HEDGES = 4;
const STALLED = Symbol('stalled');

/**
 * A body's stall timer: one timer for the whole body, not one a chunk (a chunk's wait then costs a
 * Promise, not a timer and a race). The timer, when it fires, looks at how long the current wait has
 * lasted, and either ends it as STALLED or sleeps for the rest of the pace's threshold.
 */
class StallWatch {
  private waitingSince = 0;
  private wake: ((stalled: typeof STALLED) => void) | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private dueAt = 0;

  constructor(private readonly pace: BodyPace) {}

  /** `next`'s result, or STALLED once it has been awaited for longer than the pace's threshold. */
  within<T>(next: Promise<T>): Promise<T | typeof STALLED> {
    this.waitingSince = performance.now();
    const threshold = this.pace.stallAfter();
    // Armed again when the threshold fell below the time the timer is due (the pace is the client's, and moves).
    if (this.timer === undefined || this.dueAt > this.waitingSince + threshold) this.arm(threshold);
    return new Promise<T | typeof STALLED>((resolve, reject) => {
      this.wake = resolve;
      next.then(resolve, reject);
    });
  }

  /** Ends the timer (the body is done). */
  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** The timer, due in `milliseconds`; it never keeps the process alive on its own (a pending read does). */
  private arm(milliseconds: number): void {
    clearTimeout(this.timer);
    this.dueAt = performance.now() + milliseconds;
    this.timer = setTimeout(this.check, milliseconds);
    this.timer.unref?.();
  }

  private readonly check = () => {
    const waited = performance.now() - this.waitingSince;
    const threshold = this.pace.stallAfter();
    if (waited < threshold) {
      this.arm(threshold - waited);
      return;
    }
    this.timer = undefined; // the next wait arms it again
    this.wake?.(STALLED); // a wait already over ignores it
  };
}

/** A GET of the rest of the object from `from`, of the same version, up to its first chunk. */
async function startHedge(getFrom: (byte: number) => Promise<GetObjectCommandOutput>, from: number, etag: string | undefined, location: string) {
  const response = await getFrom(from);
  if (etag !== undefined && response.ETag !== etag) {
    destroy(response);
    throw changedWhileReading(location);
  }
  const chunks = bodyOf(response)[Symbol.asyncIterator]();
  try {
    return { response, chunks, first: await chunks.next() };
  } catch (error) {
    destroy(response);
    throw error;
  }
}

const bodyOf = (response: GetObjectCommandOutput) => response.Body as AsyncIterable<Uint8Array>;
const destroy = (response: GetObjectCommandOutput) => (response.Body as unknown as { destroy?: () => void })?.destroy?.();

/** The error that has the object read again from its start, counted as a `checksum` retry. */
function checksumMismatch(strategy: RetryStrategyV2, location: string, detail: string): ChecksumMismatchError {
  if (strategy instanceof CountingRetryStrategy) strategy.counts.checksum++;
  return new ChecksumMismatchError(`${location} does not match its checksum: ${detail}`);
}

/** A request's arguments with one more header on its HTTP request. */
function withHeader<T extends { request: unknown }>(args: T, name: string, value: string): T {
  (args.request as { headers: Record<string, string> }).headers[name] = value;
  return args;
}

/** The AWS SDK's error for a body whose checksum (`x-amz-checksum-*`) does not match it (a client given ready-made checks so). */
function isChecksumMismatch(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith('Checksum mismatch');
}

/** The object asked for does not exist (`object not found: s3://...`): a store may take that as "none". */
export class ObjectMissingError extends ConsentMetricsError {}

/**
 * A whole object's bytes (or those of `options.range`), read as `readObject` reads (resumed, hedged),
 * in a buffer of their own (aligned, for typed-array views).
 *
 * @example
 * const bytes = await readWholeObject(client, 'scratch', 'work/run-1/result.arrow');
 */
export async function readWholeObject(s3: S3Client, bucket: string, key: string, options: ReadObjectOptions = {}): Promise<Uint8Array> {
  return readAgainOnMismatch(S3_DEFAULTS.maxAttempts, async () => {
    const chunks: Uint8Array[] = [];
    for await (const chunk of await readObject(s3, bucket, key, options)) chunks.push(chunk);
    return new Uint8Array(Buffer.concat(chunks)); // a copy: a small Buffer.concat lives in a shared pool, unaligned
  });
}

const changedWhileReading = (location: string) =>
  new ConsentMetricsError(`${location} was replaced while it was read; rerun to read the new version`);
