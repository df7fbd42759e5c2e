import { DeleteObjectsCommand, paginateListObjectsV2, type S3Client } from '@aws-sdk/client-s3';
import { folderPrefix, parseS3Url } from '../../s3/parseS3Url.ts';
import { readWholeObject } from '../../s3/readObject.ts';
import { s3Error } from '../../s3/s3Error.ts';
import { s3Sink } from '../../write/s3Sink.ts';
import type { WorkStore } from './WorkStore.ts';

/** Ranged GETs a task keeps in flight on S3: its shares are small (a bucket of one read's ids, ~3 KB on a day of 2B events), so latency, not bandwidth, bounds them. */
const S3_RANGES_IN_FLIGHT = 32;

/**
 * A run's folder under an S3 prefix (`openWorkStore` loads this module only for one): objects
 * replaced whole, read whole or by range, deleted by listing.
 *
 * @example
 * const store = s3WorkStore('s3://scratch/consent-metrics/run-1', client);
 */
export function s3WorkStore(location: string, client: S3Client): WorkStore {
  const { bucket, key } = parseS3Url(location);
  const root = folderPrefix(key);
  const sink = s3Sink(`s3://${bucket}/${root}`, { client });
  const describe = (relative: string) => `s3://${bucket}/${root}${relative}`;
  return {
    describe,
    put: (relative, bytes) => sink.write([{ key: relative, bytes }]),
    get: (relative) => readWholeObject(client, bucket, root + relative),
    getRange: async (relative, start, end) => (end > start ? readWholeObject(client, bucket, root + relative, { range: { start, end: end - 1 } }) : new Uint8Array(0)),
    async clear() {
      try {
        for await (const page of paginateListObjectsV2({ client }, { Bucket: bucket, Prefix: root })) {
          const Objects = (page.Contents ?? []).map((object) => ({ Key: object.Key! }));
          if (Objects.length > 0) await client.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects, Quiet: true } }));
        }
      } catch (error) {
        throw s3Error(error, 'deleting', describe(''));
      }
    },
    rangesInFlight: S3_RANGES_IN_FLIGHT,
  };
}
