import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { ConsentMetricsError } from '../errors.ts';
import type { Sink } from './Sink.ts';

/**
 * A local folder as a {@link Sink}. Every file is first written under a temporary name beside its
 * target; only when all are written are they renamed into place (a rename is atomic), so a failed run
 * leaves no partial file and never clobbers an earlier good one.
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
      try {
        for (const { key, bytes } of files) {
          const target = describe(key);
          await mkdir(dirname(target), { recursive: true });
          const temporary = target + suffix;
          staged.push({ temporary, target });
          await writeFile(temporary, bytes);
        }
        for (const { temporary, target } of staged) await rename(temporary, target);
      } catch (error) {
        await Promise.all(staged.map(({ temporary }) => rm(temporary, { force: true })));
        const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
        throw new ConsentMetricsError(`cannot write ${staged.at(-1)?.target ?? base}: ${code}`);
      }
    },
  };
}
