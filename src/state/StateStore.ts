import { randomBytes } from 'node:crypto';
import { link, mkdir, open, readdir, readFile, rename, rm, stat, unlink } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { DeleteObjectsCommand, GetObjectCommand, paginateListObjectsV2, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { ConsentMetricsError } from '../errors.ts';
import { createS3Client, type S3Options } from '../s3/createS3Client.ts';
import { folderPrefix, isS3Url, parseS3Url } from '../s3/parseS3Url.ts';
import { s3Error } from '../s3/s3Error.ts';

/** A stored object's key and when it was last written (ms since 1970). */
export interface StoredKey {
  key: string;
  modified: number;
}

/**
 * Where an incremental run's state lives: a local folder or an S3 prefix. Every write is whole (a
 * local file is written, synced and renamed or linked into place; an S3 object is replaced whole),
 * and `putIfAbsent` is the one conditional write a commit needs.
 *
 * @example
 * const store = await openStateStore('s3://results/state/');
 * const created = await store.putIfAbsent('manifest-000000000001.json', bytes); // false: another run was first
 */
export interface StateStore {
  /** Where `key` is (the root for none), for messages. */
  describe(key?: string): string;
  /** The bytes at `key`, or undefined when there is none. */
  get(key: string): Promise<Uint8Array | undefined>;
  /** Writes `bytes` at `key`, replacing what was there. */
  put(key: string, bytes: Uint8Array): Promise<void>;
  /** Writes `bytes` at `key` only if nothing is there (S3: `If-None-Match: *`); false when something was. */
  putIfAbsent(key: string, bytes: Uint8Array): Promise<boolean>;
  /** Every key under `prefix` (`''`: all), in key order. */
  list(prefix: string): Promise<StoredKey[]>;
  /** Deletes these keys; missing ones are fine. */
  delete(keys: string[]): Promise<void>;
}

/**
 * Opens a state location, local or `s3://bucket/prefix` (through the run's S3 settings).
 *
 * @example
 * const store = await openStateStore('state/hourly');
 */
export async function openStateStore(location: string, s3: S3Options = {}): Promise<StateStore> {
  return isS3Url(location) ? s3StateStore(location, s3.client ?? createS3Client(s3)) : localStateStore(location);
}

function localStateStore(location: string): StateStore {
  const base = resolve(location);
  const path = (key: string) => join(base, key);
  const failure = (action: string, key: string, error: unknown) =>
    new ConsentMetricsError(`cannot ${action} ${path(key)} in the state: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  /** Writes a synced temporary file beside `key`, so that a rename or link puts it in place whole. */
  const stage = async (key: string, bytes: Uint8Array) => {
    const temporary = `${path(key)}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
    await mkdir(dirname(temporary), { recursive: true });
    const file = await open(temporary, 'w');
    try {
      await file.writeFile(bytes);
      await file.sync();
    } finally {
      await file.close();
    }
    return temporary;
  };
  return {
    describe: (key = '') => path(key),
    async get(key) {
      try {
        const bytes = await readFile(path(key));
        return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength); // a view: a large file's buffer is its own
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw failure('read', key, error);
      }
    },
    async put(key, bytes) {
      try {
        const temporary = await stage(key, bytes);
        await rename(temporary, path(key));
      } catch (error) {
        throw failure('write', key, error);
      }
    },
    async putIfAbsent(key, bytes) {
      let temporary: string | undefined;
      try {
        temporary = await stage(key, bytes);
        await link(temporary, path(key)); // atomic, and fails if the name is taken
        return true;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
        throw failure('write', key, error);
      } finally {
        if (temporary) await unlink(temporary).catch(() => {});
      }
    },
    async list(prefix) {
      // `prefix` may end inside a name (`manifest-`): list its folder, keep the keys that start with it.
      const folder = prefix === '' || prefix.endsWith('/') ? path(prefix) : dirname(path(prefix));
      const names = await readdir(folder, { recursive: true }).catch((error: NodeJS.ErrnoException) => {
        if (error.code === 'ENOENT') return [] as string[];
        throw failure('list', prefix, error);
      });
      const keys: StoredKey[] = [];
      for (const name of names) {
        const key = relative(base, join(folder, name)).split('\\').join('/');
        if (!key.startsWith(prefix)) continue;
        const info = await stat(join(folder, name)).catch(() => null);
        if (info?.isFile()) keys.push({ key, modified: info.mtimeMs });
      }
      return keys.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    },
    async delete(keys) {
      await Promise.all(keys.map((key) => rm(path(key), { force: true })));
    },
  };
}

function s3StateStore(location: string, client: S3Client): StateStore {
  const { bucket, key } = parseS3Url(location);
  const root = folderPrefix(key);
  const describe = (relative = '') => `s3://${bucket}/${root}${relative}`;
  return {
    describe,
    async get(relative) {
      try {
        const answer = await client.send(new GetObjectCommand({ Bucket: bucket, Key: root + relative }));
        return await answer.Body!.transformToByteArray();
      } catch (error) {
        if ((error as Error).name === 'NoSuchKey') return undefined;
        throw s3Error(error, 'reading', describe(relative));
      }
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
