import { randomBytes } from 'node:crypto';
import { statSync } from 'node:fs';
import { mkdir, open, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { ConsentMetricsError } from '../errors.ts';
import type { Sink } from './Sink.ts';

/**
 * A local folder as a {@link Sink}. Every file is first written under a temporary name beside its
 * target; only when all are written, and no target is blocked (by a folder of that name), are they
 * renamed into place. Each rename is atomic, so a reader never sees a half-written file, and a
 * failed run leaves no temporary file and replaces no earlier good one.
 *
 * @example
 * await localSink('out').write([{ key: 'metrics.parquet', bytes }]);
 */
export function localSink(root: string): Sink {
  const base = resolve(root);
  const describe = (key: string) => join(base, key);

  /**
   * Writes each file under a temporary name as it comes (`fill` writes one), then renames them all into
   * place; a failure of the files' source is given on as it is, and leaves no file.
   */
  async function stage(files: Iterable<Staged> | AsyncIterable<Staged>): Promise<void> {
    const suffix = `.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
    const staged: { temporary: string; target: string }[] = [];
    let current = base;
    try {
      const source = (Symbol.asyncIterator in files ? files[Symbol.asyncIterator]() : files[Symbol.iterator]()) as AsyncIterator<Staged> | Iterator<Staged>;
      for (;;) {
        const next = await Promise.resolve(source.next()).catch((error: unknown) => Promise.reject(new SourceFailure(error)));
        if (next.done) break;
        const { key, fill } = next.value;
        current = describe(key);
        await mkdir(dirname(current), { recursive: true });
        staged.push({ temporary: current + suffix, target: current });
        await fill(current + suffix);
      }
      for (const { target } of staged) {
        current = target;
        if ((await stat(target).catch(() => null))?.isDirectory()) throw Object.assign(new Error(), { code: 'EISDIR' });
      }
      for (const { temporary, target } of staged) {
        current = target;
        await rename(temporary, target);
      }
    } catch (error) {
      await Promise.all(staged.map(({ temporary }) => rm(temporary, { force: true })));
      if (error instanceof SourceFailure) throw error.cause;
      const code = (error as NodeJS.ErrnoException).code;
      const file = code === 'ENOTDIR' || code === 'EEXIST' ? fileAbove(current) : undefined;
      throw new ConsentMetricsError(`cannot write ${current}: ${file ? `${file} is a file, not a folder` : code ?? (error as Error).message}`);
    }
  }

  return {
    describe,
    write: (files) => stage(files.map(({ key, bytes }) => ({ key, fill: (path) => writeFile(path, bytes) }))),
    writeEach: (files) => stage((async function* () {
      for await (const { key, bytes } of files) yield { key, fill: (path: string) => writeFile(path, bytes) };
    })()),
    writeFrom: (key, chunks) => stage([{ key, fill: async (path) => {
      const file = await open(path, 'w');
      try {
        const source = chunks[Symbol.asyncIterator]();
        for (;;) {
          const next = await source.next().catch((error: unknown) => Promise.reject(new SourceFailure(error)));
          if (next.done) break;
          const chunk = next.value;
          for (let at = 0; at < chunk.length; ) at += (await file.write(chunk, at, chunk.length - at)).bytesWritten; // a write may be short
        }
      } finally {
        await file.close();
      }
    } }]),
  };
}

/** A file to stage: its key, and how to write it at a path. */
interface Staged {
  key: string;
  fill: (path: string) => Promise<void>;
}

/** The bytes' own failure, given on as it is (not as a failure to write). */
class SourceFailure {
  constructor(readonly cause: unknown) {}
}

/** The nearest folder above `path` that is a file instead (what a write below it stumbles on), if any. */
function fileAbove(path: string): string | undefined {
  for (let folder = dirname(path); folder !== dirname(folder); folder = dirname(folder)) {
    try {
      if (statSync(folder).isFile()) return folder;
    } catch {
      // not there: look further up
    }
  }
  return undefined;
}
