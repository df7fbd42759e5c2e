import { randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readFileSync, readSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { ConsentMetricsError } from '../../errors.ts';

/**
 * One queued run's folder in the work location, a local folder or an S3 prefix that every worker
 * reaches: the files tasks hand each other. Writes are whole-file (a local file is renamed into
 * place, an S3 object is replaced whole), so a task run twice (a worker lost, then its task taken
 * again) leaves one complete copy, never a mix.
 *
 * @example
 * const store = await openWorkStore('s3://scratch/consent-metrics/run-1', { endpoint });
 * await store.put('ids/0.bin', bytes);
 * const back = await store.get('ids/0.bin');
 * await store.clear();
 */
export interface WorkStore {
  /** Where `key` is, for messages. */
  describe(key: string): string;
  /** Writes `bytes` at `key`, replacing what was there. */
  put(key: string, bytes: Uint8Array): Promise<void>;
  /** The bytes at `key`, 4-byte aligned (for Int32Array views); fails with one line when missing. */
  get(key: string): Promise<Uint8Array>;
  /** Bytes `[start, end)` at `key`, as `get` gives them (one ranged read: a file holds the shares of many tasks). */
  getRange(key: string, start: number, end: number): Promise<Uint8Array>;
  /** Deletes everything in the run's folder. */
  clear(): Promise<void>;
  /**
   * Ranged reads a task keeps in flight: a few on a local disk (each read synchronous, a task's share
   * small); many on S3, where each is a request whose ~30 ms of latency would otherwise add up (a dedup
   * task reads one range of every read task's ids).
   */
  readonly rangesInFlight: number;
}

/**
 * A run's folder in a local work location (`openWorkStore` opens either kind).
 *
 * @example
 * const store = localWorkStore('/mnt/shared/work/run-1');
 */
export function localWorkStore(location: string): WorkStore {
  const base = resolve(location);
  return {
    describe: (key) => join(base, key),
    async put(key, bytes) {
      // Synchronous, whole, then renamed into place: a task's files are written once and read by later
      // stages only, and libuv's threads cost more CPU than the write itself.
      const path = join(base, key);
      const temporary = `${path}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
      try {
        mkdirSync(dirname(path), { recursive: true });
        writeFileSync(temporary, bytes);
        renameSync(temporary, path);
      } catch (error) {
        rmSync(temporary, { force: true });
        throw new ConsentMetricsError(`cannot write ${path} in the work location: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
      }
    },
    async get(key) {
      try {
        const bytes = readFileSync(join(base, key)); // synchronous, as every local read and write here
        return bytes.byteOffset % 4 === 0 ? bytes : new Uint8Array(bytes); // a small file may sit in Node's shared pool, unaligned
      } catch (error) {
        throw new ConsentMetricsError(`cannot read ${join(base, key)} in the work location: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
      }
    },
    async getRange(key, start, end) {
      const bytes = new Uint8Array(end - start);
      if (bytes.length === 0) return bytes;
      try {
        // Synchronous: a range is a task's small share of a file, and three calls through libuv's
        // threads cost ~0.2 ms of CPU each time (the run makes one per bucket for each batch of partitions).
        const file = openSync(join(base, key), 'r');
        try {
          for (let at = 0; at < bytes.length; ) {
            const read = readSync(file, bytes, at, bytes.length - at, start + at);
            if (read === 0) throw new Error(`ends before byte ${end}`);
            at += read;
          }
        } finally {
          closeSync(file);
        }
        return bytes;
      } catch (error) {
        throw new ConsentMetricsError(`cannot read ${join(base, key)} in the work location: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
      }
    },
    clear: () => rm(base, { recursive: true, force: true }),
    rangesInFlight: 4,
  };
}

/**
 * `store` counting the bytes written to it and read from it (the bytes a run spilled and read back).
 *
 * @example
 * const counted = countingWorkStore(store);
 * await counted.put('ids/0.bin', bytes); // counted.bytes.written === bytes.length
 */
export function countingWorkStore(store: WorkStore): WorkStore & { bytes: WorkBytes } {
  const bytes: WorkBytes = { written: 0, read: 0 };
  return {
    bytes,
    describe: (key) => store.describe(key),
    put: async (key, data) => (await store.put(key, data), void (bytes.written += data.length)),
    get: async (key) => {
      const data = await store.get(key);
      bytes.read += data.length;
      return data;
    },
    getRange: async (key, start, end) => {
      const data = await store.getRange(key, start, end);
      bytes.read += data.length;
      return data;
    },
    clear: () => store.clear(),
    rangesInFlight: store.rangesInFlight,
  };
}

/**
 * Bytes written to a run's work location and read back from it.
 *
 * @example
 * const bytes: WorkBytes = { written: 1_048_576, read: 2_097_152 };
 */
export interface WorkBytes {
  /** Bytes written (whole files). */
  written: number;
  /** Bytes read (whole files and ranges). */
  read: number;
}
