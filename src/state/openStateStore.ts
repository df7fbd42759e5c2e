import type { S3Options } from '../s3/createS3Client.ts';
import { isS3Url } from '../s3/parseS3Url.ts';
import { localStateStore } from './localStateStore.ts';
import type { StateStore } from './StateStore.ts';

/**
 * Opens a state location, local or `s3://bucket/prefix` (through the run's S3 settings).
 *
 * @example
 * const store = await openStateStore('state/hourly');
 */
export async function openStateStore(location: string, s3: S3Options = {}): Promise<StateStore> {
  if (!isS3Url(location)) return localStateStore(location);
  // The SDK loads only for a state on S3 (~0.1 s of a local run otherwise).
  const [{ s3StateStore }, { createS3Client }] = await Promise.all([import('./s3StateStore.ts'), import('../s3/createS3Client.ts')]);
  return s3StateStore(location, s3.client ?? createS3Client(s3));
}
