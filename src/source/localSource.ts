import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { ConsentMetricsError } from '../errors.ts';
import { compareKeys, type Source } from './Source.ts';

/**
 * A local folder as a {@link Source}. Fails with a one-line error when the folder is missing.
 *
 * @example
 * const source = await localSource('fixtures/example/input');
 * await source.listFolders(''); // ['datehour=2021-01-23-10', 'datehour=2021-01-23-11']
 */
export async function localSource(root: string): Promise<Source> {
  const base = resolve(root);
  const info = await stat(base).catch(() => null);
  if (!info) throw new ConsentMetricsError(`input folder not found: ${base}`);
  if (!info.isDirectory()) throw new ConsentMetricsError(`input is not a folder: ${base}`);

  const entries = async (prefix: string) => {
    const folder = join(base, prefix);
    try {
      return await readdir(folder, { withFileTypes: true });
    } catch (error) {
      throw new ConsentMetricsError(`cannot list ${folder}: ${(error as NodeJS.ErrnoException).code ?? error}`);
    }
  };
  const names = (list: { name: string }[]) => list.map((entry) => entry.name).sort(compareKeys);
  /** Folders and files under a prefix, symbolic links followed; a dangling link counts as a file, so reading it fails loudly. */
  const kinds = async (prefix: string) => {
    const folders: { name: string }[] = [];
    const files: { name: string }[] = [];
    for (const entry of await entries(prefix)) {
      const isFolder = entry.isSymbolicLink()
        ? (await stat(join(base, prefix, entry.name)).catch(() => null))?.isDirectory() ?? false
        : entry.isDirectory();
      if (isFolder) folders.push(entry);
      else if (entry.isFile() || entry.isSymbolicLink()) files.push(entry);
    }
    return { folders, files };
  };

  const sizes = new Map<string, number>();
  const versions = new Map<string, string>();
  const listFiles = async (prefix: string) => {
    const keys = names((await kinds(prefix)).files).map((name) => (prefix ? `${prefix}/${name}` : name));
    // A file that cannot be stat'ed gets no size; reading it fails loudly later.
    await Promise.all(keys.map((key) => stat(join(base, key)).then((info) => {
      sizes.set(key, info.size);
      versions.set(key, `mtime:${info.mtimeMs}`);
    }, () => {})));
    return keys;
  };

  return {
    describe: (key = '') => join(base, key),
    localPath: (key) => join(base, key),
    listFolders: async (prefix) => names((await kinds(prefix)).folders),
    listFiles,
    sizeOf: (key) => sizes.get(key),
    versionOf: (key) => versions.get(key),
    open: async (key) => {
      const path = join(base, key);
      // Open eagerly so a missing or unreadable file fails here, with its name, not mid-stream.
      const stream = createReadStream(path, { highWaterMark: 1 << 20 });
      await new Promise<void>((ok, fail) => {
        stream.once('open', () => ok());
        stream.once('error', (error: NodeJS.ErrnoException) =>
          fail(new ConsentMetricsError(`cannot read ${path}: ${error.code ?? error.message}`)),
        );
      });
      return stream;
    },
  };
}
