import type { S3Options } from '../s3/createS3Client.ts';
import { isS3Url } from '../s3/parseS3Url.ts';
import { localSource } from './localSource.ts';
import type { Source } from './Source.ts';

/**
 * The {@link Source} for a root: `s3://bucket/prefix`, or a local folder path. The AWS SDK is loaded
 * only for S3 (it is hundreds of modules: a local run should not pay for them).
 *
 * @example
 * const local = await openSource('fixtures/example/input');
 * const remote = await openSource('s3://events/raw', { endpoint: 'http://127.0.0.1:9000' });
 */
export async function openSource(root: string, s3: S3Options = {}): Promise<Source> {
  if (!isS3Url(root)) return localSource(root);
  const { s3Source } = await import('./s3Source.ts');
  return s3Source(root, s3);
}
