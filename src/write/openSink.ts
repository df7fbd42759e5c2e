import { basename, dirname } from 'node:path';
import type { S3Options } from '../s3/createS3Client.ts';
import { isS3Url } from '../s3/parseS3Url.ts';
import { localSink } from './localSink.ts';
import type { Sink } from './Sink.ts';

/**
 * Where `--out` points: a sink and the key under it.
 *
 * @example
 * const { sink, key, byDatehour }: OutputTarget = await openSink('out/by-hour/'); // key '', byDatehour true
 */
export interface OutputTarget {
  /** Where files are written. */
  sink: Sink;
  /** The file's key under the sink (`''` for one file per datehour). */
  key: string;
  /** `true` when the location ends in `/`: one file per datehour under it. */
  byDatehour: boolean;
}

/**
 * Resolves an output location, local or `s3://`: a file (`out/metrics.parquet`), or a folder
 * ending in `/` for one file per datehour (`s3://results/metrics/`). The AWS SDK is loaded only for S3.
 *
 * @example
 * const { sink, key } = await openSink('out/metrics.parquet');
 */
export async function openSink(location: string, s3: S3Options = {}): Promise<OutputTarget> {
  const byDatehour = location.endsWith('/');
  const folder = byDatehour ? location : location.slice(0, location.lastIndexOf('/') + 1);
  const key = byDatehour ? '' : location.slice(folder.length);
  if (isS3Url(location)) {
    const { s3Sink } = await import('./s3Sink.ts');
    return { sink: s3Sink(folder, s3), key, byDatehour };
  }
  return byDatehour
    ? { sink: localSink(location), key: '', byDatehour }
    : { sink: localSink(dirname(location)), key: basename(location), byDatehour };
}
