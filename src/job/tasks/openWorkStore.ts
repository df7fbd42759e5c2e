import type { S3Options } from '../../s3/createS3Client.ts';
import { isS3Url } from '../../s3/parseS3Url.ts';
import { localWorkStore, type WorkStore } from './WorkStore.ts';

/**
 * Opens a run's folder in a work location: local, or `s3://bucket/prefix` (through the same client
 * settings, retries and timeouts as the input).
 *
 * @example
 * const store = await openWorkStore('/mnt/shared/work/run-1');
 */
export async function openWorkStore(location: string, s3: S3Options = {}): Promise<WorkStore> {
  if (!isS3Url(location)) return localWorkStore(location);
  // The AWS SDK loads only for an S3 work location: ~0.2 s of CPU in every worker process otherwise.
  const [{ s3WorkStore }, { createS3Client }] = await Promise.all([import('./s3WorkStore.ts'), import('../../s3/createS3Client.ts')]);
  return s3WorkStore(location, s3.client ?? createS3Client(s3));
}
