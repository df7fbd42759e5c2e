import type { S3Settings } from '../s3/createS3Client.ts';
import type { ListedObject } from '../s3/readObjectInParts.ts';
import type { RetryCounts } from '../s3/retryKinds.ts';

/**
 * Where event files come from. A local folder and an S3 prefix both implement it, so no stage after
 * this one knows where the bytes live. Keys are relative to the source's root and use `/`.
 *
 * @example
 * const source = await localSource('fixtures/example/input');
 * const keys = await source.listFiles('datehour=2021-01-23-10');
 * for await (const chunk of await source.open(keys[0])) console.log(chunk.byteLength);
 */
export interface Source {
  /** Human-readable location of a key (or the root), for reports and errors: `/data/x` or `s3://bucket/x`. */
  describe(key?: string): string;
  /** Names of the immediate sub-folders of `prefix` (`''` is the root), sorted. */
  listFolders(prefix: string): Promise<string[]>;
  /** Keys of the files directly under `prefix`, in key order. */
  listFiles(prefix: string): Promise<string[]>;
  /**
   * The size in bytes of a key as its folder's listing gave it, once `listFiles` has listed it, where the
   * source knows sizes (a local folder and S3 do): lets a run size its tables before reading.
   */
  sizeOf?(key: string): number | undefined;
  /**
   * What identifies the listed version of a key (an S3 ETag, a local file's modification time), once
   * `listFiles` has listed it: an incremental run notices a file replaced in place by it.
   */
  versionOf?(key: string): string | undefined;
  /** The bytes of one key, as a stream of chunks. */
  open(key: string): Promise<AsyncIterable<Uint8Array>>;
  /** The local file path of a key, where there is one: worker threads then read the file themselves. */
  localPath?(key: string): string;
  /**
   * Where a worker thread can fetch a key itself, with a client of its own made from `settings`: an S3
   * source whose client `createS3Client` made. Undefined for a source only this thread can read.
   */
  remote?(key: string): RemoteObject;
  /** Adds retries a worker thread's client made while fetching this source's keys to the run's counts. */
  addRetries?(counts: RetryCounts): Promise<void>;
}

/**
 * An object a worker thread can fetch on its own: where it is, what its listing said, and the settings
 * of a client to fetch it with (plain data, posted to the thread).
 *
 * @example
 * const object: RemoteObject = { bucket: 'events', key: 'raw/datehour=2021-01-23-10/part-0.json', size: 16_024_908, settings: { endpoint } };
 */
export interface RemoteObject extends ListedObject {
  /** What the thread makes its client from. */
  settings: S3Settings;
}

/** Key order, as S3 lists keys: by UTF-8 bytes. (JS `<` compares UTF-16 units, which differs for astral characters.) */
export function compareKeys(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}
