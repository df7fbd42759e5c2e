import { ConsentMetricsError } from '../errors.ts';

/**
 * A bucket and a key or prefix, from `s3://bucket/key`.
 *
 * @example
 * const { bucket, key }: S3Location = parseS3Url('s3://events/raw/'); // 'events', 'raw/'
 */
export interface S3Location {
  /** The bucket name. */
  bucket: string;
  /** The rest after `bucket/`, as given (`''` for the bucket's root). */
  key: string;
}

/**
 * Whether a location is an S3 URL rather than a local path.
 *
 * @example
 * isS3Url('s3://events/raw'); // true
 * isS3Url('data/events'); // false
 */
export const isS3Url = (location: string): boolean => location.startsWith('s3://');

/**
 * Splits `s3://bucket/key` into bucket and key.
 *
 * @example
 * parseS3Url('s3://events/raw/'); // { bucket: 'events', key: 'raw/' }
 */
export function parseS3Url(url: string): S3Location {
  const match = /^s3:\/\/([^/]+)\/?(.*)$/.exec(url);
  if (!match) throw new ConsentMetricsError(`expected s3://bucket/key, got '${url}'`);
  return { bucket: match[1]!, key: match[2]! };
}

/** A prefix that names a folder: `''` or ending in `/`. */
export const folderPrefix = (key: string): string => (key === '' || key.endsWith('/') ? key : `${key}/`);
