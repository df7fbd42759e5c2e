import { randomBytes } from 'node:crypto';
import { link, mkdir, open, readdir, readFile, rename, rm, stat, unlink } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { ConsentMetricsError } from '../errors.ts';
import type { StateStore, StoredKey } from './StateStore.ts';

/**
 * A local folder as a {@link StateStore}: files written, synced, then renamed into place; `putIfAbsent`
 * links the synced file to its name, which fails when the name is taken. A staged file is not an
 * object, as an unfinished upload is not one on S3: listings skip it, and delete it once it is older
 * than a day (its writer was killed between staging and renaming).
 *
 * @example
 * const store = localStateStore('state/hourly');
 */
export function localStateStore(location: string): StateStore {
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
        if (STAGED.test(key)) {
          const info = await stat(join(folder, name)).catch(() => null);
          // Best effort: a state this run cannot write to is still read.
          if (info?.isFile() && Date.now() - info.mtimeMs > ABANDONED_AFTER_MS) await rm(join(folder, name), { force: true }).catch(() => {});
          continue;
        }
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

/** A staged file's name: the key, then `.tmp-<pid>-<8 hex digits>`. */
const STAGED = /\.tmp-\d+-[0-9a-f]{8}$/;
/** Older than this, a staged file's writer is gone: no run stages a file for a day before renaming it. */
const ABANDONED_AFTER_MS = 24 * 3_600_000;
