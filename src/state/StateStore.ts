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
