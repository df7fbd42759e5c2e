import { ListObjectsV2Command, paginateListObjectsV2, type S3Client } from '@aws-sdk/client-s3';
import { createS3Client, settingsOf, type S3Options } from '../s3/createS3Client.ts';
import { folderPrefix, parseS3Url } from '../s3/parseS3Url.ts';
import { readObjectInParts, type ListedObject } from '../s3/readObjectInParts.ts';
import { addRetryCounts } from '../s3/retries.ts';
import { s3Error } from '../s3/s3Error.ts';
import { ConsentMetricsError } from '../errors.ts';
import { compareKeys, type Source } from './Source.ts';

/**
 * An S3 prefix as a {@link Source}: folders are common prefixes under delimiter `/`, every listing is
 * paginated, and objects are streamed, never read into one string; a body cut off or gone silent
 * resumes where it stopped (see `readObject`). Fails with one line when the bucket or prefix is
 * missing, access is denied or credentials are bad.
 *
 * @example
 * const source = await s3Source('s3://events/raw', { endpoint: 'http://127.0.0.1:9000' });
 */
export async function s3Source(url: string, { client, ...clientOptions }: S3Options = {}): Promise<Source> {
  const s3: S3Client = client ?? createS3Client(clientOptions);
  const { bucket, key } = parseS3Url(url);
  const root = folderPrefix(key);
  const describe = (relative = '') => `s3://${bucket}/${root}${relative}`;

  const sizes = new Map<string, number>();
  const etags = new Map<string, string>();
  const list = async (prefix: string) => {
    const Prefix = root + folderPrefix(prefix);
    const folders: string[] = [];
    const files: string[] = [];
    try {
      for await (const page of paginateListObjectsV2({ client: s3 }, { Bucket: bucket, Prefix, Delimiter: '/' })) {
        for (const common of page.CommonPrefixes ?? []) folders.push(common.Prefix!.slice(Prefix.length, -1));
        for (const object of page.Contents ?? []) {
          if (object.Key!.endsWith('/')) continue;
          const key = object.Key!.slice(root.length);
          files.push(key);
          if (object.Size !== undefined) sizes.set(key, object.Size);
          if (object.ETag !== undefined) etags.set(key, object.ETag);
        }
      }
    } catch (error) {
      throw s3Error(error, 'listing', `s3://${bucket}/${Prefix}`);
    }
    return { folders: folders.sort(compareKeys), files: files.sort(compareKeys) };
  };

  // Fail early, with a clear line, on a missing bucket or prefix, bad credentials or no access.
  try {
    const first = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: root, MaxKeys: 1 }));
    if (!first.KeyCount) throw new ConsentMetricsError(`nothing found under ${describe()}`);
  } catch (error) {
    throw error instanceof ConsentMetricsError ? error : s3Error(error, 'listing', describe());
  }

  const listed = (relative: string): ListedObject => ({ bucket, key: root + relative, size: sizes.get(relative), etag: etags.get(relative) });
  const settings = settingsOf(s3);
  return {
    describe,
    listFolders: async (prefix) => (await list(prefix)).folders,
    listFiles: async (prefix) => (await list(prefix)).files,
    sizeOf: (key) => sizes.get(key),
    versionOf: (key) => (etags.has(key) ? `etag:${etags.get(key)}` : undefined),
    open: (relative) => readObjectInParts(s3, listed(relative)),
    ...(settings && { remote: (relative: string) => ({ ...listed(relative), settings }), addRetries: (counts) => addRetryCounts(s3, counts) }),
  };
}
