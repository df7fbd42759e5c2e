import { Readable } from 'node:stream';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import pMap from 'p-map';
import { createS3Client, type S3Options } from '../s3/createS3Client.ts';
import { folderPrefix, parseS3Url } from '../s3/parseS3Url.ts';
import { s3Error } from '../s3/s3Error.ts';
import type { Sink } from './Sink.ts';

/**
 * How an `s3Sink` uploads: the client settings, part size and parallel uploads.
 *
 * @example
 * s3Sink('s3://results/metrics/', { partSize: 16 * 1024 * 1024, concurrency: 8 });
 */
export interface S3SinkOptions extends S3Options {
  /** Files up to this size go in one PutObject; larger ones in a multipart upload of parts this size. Default: 8 MiB. */
  partSize?: number;
  /** Objects uploaded at once. Default: 4. */
  concurrency?: number;
}

/**
 * An S3 prefix as a {@link Sink}. An S3 object appears whole or not at all: a small file is one
 * PutObject; a large one a multipart upload (lib-storage) that is aborted if any part fails, so no
 * parts are left behind. Files of one batch are separate objects, each replaced whole. A file written
 * from chunks as they come (`writeFrom`) goes in a multipart upload once it outgrows one part.
 *
 * @example
 * await s3Sink('s3://results/metrics/').write([{ key: 'hour.parquet', bytes }]);
 */
export function s3Sink(url: string, { client, partSize = 8 * 1024 * 1024, concurrency = 4, ...clientOptions }: S3SinkOptions = {}): Sink {
  const s3: S3Client = client ?? createS3Client(clientOptions);
  const { bucket, key } = parseS3Url(url);
  const root = folderPrefix(key);
  const describe = (relative: string) => `s3://${bucket}/${root}${relative}`;
  const contentType = (relative: string) => (relative.endsWith('.json') ? 'application/json' : 'application/vnd.apache.parquet');
  return {
    describe,
    async write(files) {
      await pMap(files, async ({ key: relative, bytes }) => {
        const params = { Bucket: bucket, Key: root + relative, Body: bytes, ContentType: contentType(relative) };
        try {
          if (bytes.length <= partSize) await s3.send(new PutObjectCommand(params));
          else await new Upload({ client: s3, params, partSize, queueSize: 4, leavePartsOnError: false }).done();
        } catch (error) {
          throw s3Error(error, 'writing', describe(relative));
        }
      }, { concurrency });
    },
    async writeFrom(relative, chunks) {
      let failure: unknown; // the chunks' own error, given on as it is
      const body = Readable.from((async function* () {
        try {
          yield* chunks;
        } catch (error) {
          throw (failure = error);
        }
      })());
      const params = { Bucket: bucket, Key: root + relative, Body: body, ContentType: contentType(relative) };
      try {
        await new Upload({ client: s3, params, partSize, queueSize: 4, leavePartsOnError: false }).done();
      } catch (error) {
        throw failure ?? s3Error(error, 'writing', describe(relative));
      }
    },
  };
}
