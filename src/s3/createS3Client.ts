import { S3Client } from '@aws-sdk/client-s3';

export interface S3Options {
  /** A ready client (tests, custom middleware). Default: one made from the options below. */
  client?: S3Client;
  /** S3-compatible endpoint (MinIO, s3rver), addressed path-style. Default: `AWS_ENDPOINT_URL_S3`, then `AWS_ENDPOINT_URL`, else AWS. */
  endpoint?: string;
  /** Default: the standard chain (`AWS_REGION`, the shared profile), or `us-east-1` with a custom endpoint. */
  region?: string;
  /** Attempts per request, throttling and 5xx retried with backoff. Default: 5. */
  maxAttempts?: number;
}

/**
 * An S3 client with the standard credential chain (environment, shared profile, SSO, container or
 * instance role). Retries use the SDK's `standard` mode: exponential backoff with jitter, a longer
 * base delay for throttling (503 SlowDown), a retry quota so an outage fails fast instead of
 * retrying every request; 5 attempts rather than 3 because every request here is an idempotent read
 * or a whole-object write. (`adaptive` mode also rate-limits the client but is marked experimental.)
 *
 * @example
 * const client = createS3Client({ endpoint: 'http://127.0.0.1:9000' });
 */
export function createS3Client({ endpoint, region, maxAttempts = 5 }: Omit<S3Options, 'client'> = {}): S3Client {
  const customEndpoint = endpoint ?? process.env.AWS_ENDPOINT_URL_S3 ?? process.env.AWS_ENDPOINT_URL;
  return new S3Client({
    endpoint: customEndpoint,
    forcePathStyle: customEndpoint !== undefined,
    region: region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? (customEndpoint ? 'us-east-1' : undefined),
    retryMode: 'standard',
    maxAttempts,
  });
}
