import { S3Client } from '@aws-sdk/client-s3';
import type { AwsCredentialIdentity } from '@smithy/types';
import { BodyPace, setPace } from './BodyPace.ts';
import { PacedHttpHandler } from './PacedHttpHandler.ts';
import { CountingRetryStrategy } from './retries.ts';

/**
 * How the job reaches S3: a ready client, or the settings to make one (endpoint, region, credentials, retries, timeouts).
 *
 * @example
 * await runJob({ root: 's3://events/raw', s3: { endpoint: 'http://127.0.0.1:9000', maxAttempts: 8, idleTimeout: 60_000 } });
 */
export interface S3Options {
  /** A ready client (tests, custom middleware); the options below then do not apply. Default: one made from them. */
  client?: S3Client;
  /** S3-compatible endpoint (MinIO, s3rver), addressed path-style. Default: `AWS_ENDPOINT_URL_S3`, then `AWS_ENDPOINT_URL`, else AWS. */
  endpoint?: string;
  /** Default: the standard chain (`AWS_REGION`, the shared profile), or `us-east-1` with a custom endpoint. */
  region?: string;
  /** Fixed credentials. Default: the standard chain (environment, profile, SSO, container or instance role). */
  credentials?: AwsCredentialIdentity;
  /** Attempts per request, and per object body resumed mid-stream, with backoff. Default: 5. */
  maxAttempts?: number;
  /** Milliseconds for a connection to open before the attempt is retried. Default: 5,000. */
  connectTimeout?: number;
  /** Milliseconds a connection may stay silent, waiting for a response or inside a body, before the attempt is retried. Default: 30,000. */
  idleTimeout?: number;
  /**
   * Milliseconds of silence after which a body (read or sent) counts as stalled, when the run's own gaps
   * are shorter (a stall is 20 times the median gap, never less than this): a read asks for the rest again
   * on another connection and takes whichever answers first; an upload is sent again. Default: 2,000.
   */
  stallTimeout?: number;
  /**
   * Ask for each whole object's checksum and check the body against it (CRC64NVME, computed in
   * WebAssembly as the bytes arrive); a body that does not match is read again whole. `false` asks for
   * none (README, "S3"). A client given ready-made checks as its own settings say. Default: true.
   */
  checksums?: boolean;
}

/**
 * The settings of an S3 client, without a ready client: plain data, which a worker thread can make its own client from.
 *
 * @example
 * const settings: S3Settings = { endpoint: 'http://127.0.0.1:9000', maxAttempts: 8 };
 */
export type S3Settings = Omit<S3Options, 'client'>;

/**
 * Defaults of the S3 options, in milliseconds and attempts.
 *
 * @example
 * createS3Client({ idleTimeout: S3_DEFAULTS.idleTimeout * 2 }); // a slower link: 60 s of silence allowed
 */
export const S3_DEFAULTS = {
  /** Attempts per request and per object body. */
  maxAttempts: 5,
  /** Milliseconds for a connection to open. */
  connectTimeout: 5_000,
  /** Milliseconds of silence allowed on a connection. */
  idleTimeout: 30_000,
  /** Milliseconds of silence after which a body counts as stalled, at the least. */
  stallTimeout: 2_000,
} as const;

/**
 * An S3 client with the standard credential chain and retries that survive a flaky network:
 * - the SDK's `standard` retry strategy: exponential backoff with jitter, a longer base delay for
 *   throttling (503 SlowDown), a retry quota so an outage fails fast instead of retrying every
 *   request; 5 attempts rather than 3 because every request here is an idempotent read or a
 *   whole-object write (`adaptive` mode also rate-limits the client but is marked experimental);
 * - a connect timeout and an idle timeout, so no connection, response or body can hang a run;
 * - stalled bodies noticed from the run's own pace and retried on another connection (`stallTimeout`);
 * - retries counted by kind, for the run report (`retryCountsOf`);
 * - whole objects' checksums (CRC64NVME) asked for, for `readObject` to check (`checksums`).
 *
 * @example
 * const client = createS3Client({ endpoint: 'http://127.0.0.1:9000', idleTimeout: 10_000 });
 */
export function createS3Client({
  endpoint,
  region,
  credentials,
  maxAttempts = S3_DEFAULTS.maxAttempts,
  connectTimeout = S3_DEFAULTS.connectTimeout,
  idleTimeout = S3_DEFAULTS.idleTimeout,
  stallTimeout = S3_DEFAULTS.stallTimeout,
  checksums = true,
}: S3Settings = {}): S3Client {
  const customEndpoint = endpoint ?? process.env.AWS_ENDPOINT_URL_S3 ?? process.env.AWS_ENDPOINT_URL;
  const pace = new BodyPace(stallTimeout);
  const client = new S3Client({
    endpoint: customEndpoint,
    forcePathStyle: customEndpoint !== undefined,
    region: region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? (customEndpoint ? 'us-east-1' : undefined),
    credentials,
    retryStrategy: new CountingRetryStrategy(maxAttempts),
    // socketTimeout is an idle timer on the socket: armed while connecting, waiting for the
    // response and reading its body, so a stall anywhere fails the attempt with a TimeoutError.
    // Before it, a stalled body is sent again (PacedHttpHandler) or asked for again (readObject).
    requestHandler: new PacedHttpHandler({ connectionTimeout: connectTimeout, socketTimeout: idleTimeout }, pace),
    // The job asks for whole objects' checksums and checks them itself, as the bytes go to the parser
    // (readObject): the SDK's check adds a stream stage per chunk, and finds a mismatch too late to start over.
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  setPace(client, pace);
  madeFrom.set(client, { endpoint: customEndpoint, region, credentials, maxAttempts, connectTimeout, idleTimeout, stallTimeout, checksums });
  return client;
}

const madeFrom = new WeakMap<S3Client, S3Settings>();

/**
 * The settings `client` was made from by `createS3Client` (the endpoint as resolved), for a worker thread
 * to make a client like it; undefined for a client made otherwise (a test's mock, custom middleware).
 * Static `credentials` are part of them; without, each thread resolves the standard chain itself.
 *
 * @example
 * const settings = settingsOf(client); // { endpoint: 'http://127.0.0.1:9000', maxAttempts: 5, ... }
 */
export function settingsOf(client: S3Client): S3Settings | undefined {
  return madeFrom.get(client);
}
