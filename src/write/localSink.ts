import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
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
  return {
    describe,
    async write(files) {
      const suffix = `.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
      const staged: { temporary: string; target: string }[] = [];
      let current = base;
      try {
        for (const { key, bytes } of files) {
          current = describe(key);
          await mkdir(dirname(current), { recursive: true });
          staged.push({ temporary: current + suffix, target: current });
          await writeFile(current + suffix, bytes);
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
        const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
        throw new ConsentMetricsError(`cannot write ${current}: ${reason}`);
      }
    },
  };
}
