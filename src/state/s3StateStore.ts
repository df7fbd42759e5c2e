import { DeleteObjectsCommand, paginateListObjectsV2, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { folderPrefix, parseS3Url } from '../s3/parseS3Url.ts';
import { ObjectMissingError, readWholeObject } from '../s3/readObject.ts';
import { s3Error } from '../s3/s3Error.ts';
import type { StateStore, StoredKey } from './StateStore.ts';

/**
 * An S3 prefix as a {@link StateStore}: `putIfAbsent` is a PutObject with `If-None-Match: *`.
 *
 * @example
 * const store = s3StateStore('s3://results/state/', client);
 */
export function s3StateStore(location: string, client: S3Client): StateStore {
  const { bucket, key } = parseS3Url(location);
  const root = folderPrefix(key);
  const describe = (relative = '') => `s3://${bucket}/${root}${relative}`;
  return {
    describe,
    async get(relative) {
      // Read as input objects are (resumed, a stalled body asked for again); a missing one is "none".
      return readWholeObject(client, bucket, root + relative).catch((error: unknown) => {
        if (error instanceof ObjectMissingError) return undefined;
        throw error;
      });
    },
    async put(relative, bytes) {
      try {
        await client.send(new PutObjectCommand({ Bucket: bucket, Key: root + relative, Body: bytes }));
      } catch (error) {
        throw s3Error(error, 'writing', describe(relative));
      }
    },
    async putIfAbsent(relative, bytes) {
      try {
        await client.send(new PutObjectCommand({ Bucket: bucket, Key: root + relative, Body: bytes, IfNoneMatch: '*' }));
        return true;
      } catch (error) {
        const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
        if (status === 412 || status === 409) return false; // taken, or another conditional write of it under way
        throw s3Error(error, 'writing', describe(relative));
      }
    },
    async list(prefix) {
      const keys: StoredKey[] = [];
      try {
        for await (const page of paginateListObjectsV2({ client }, { Bucket: bucket, Prefix: root + prefix })) {
          for (const object of page.Contents ?? []) keys.push({ key: object.Key!.slice(root.length), modified: object.LastModified?.getTime() ?? 0 });
        }
      } catch (error) {
        throw s3Error(error, 'listing', describe(prefix));
      }
      return keys;
    },
    async delete(keys) {
      try {
        for (let at = 0; at < keys.length; at += 1000) {
          const Objects = keys.slice(at, at + 1000).map((relative) => ({ Key: root + relative }));
          await client.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects, Quiet: true } }));
        }
      } catch (error) {
        throw s3Error(error, 'deleting', describe(''));
      }
    },
  };
}
