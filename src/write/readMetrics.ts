import * as aq from 'arquero';
import type { ColumnTable } from 'arquero';
import { ConsentMetricsError } from '../errors.ts';
import type { S3Options } from '../s3/createS3Client.ts';
import { openSource } from '../source/openSource.ts';
import { parquetToIPC } from './encodeParquet.ts';
import { basename, dirname } from 'node:path';
import { isS3Url } from '../s3/parseS3Url.ts';

/**
 * Reads back what the job wrote: one Parquet file, a folder ending in `/` of one file per datehour
 * (`datehour=.../part-0.parquet`, in datehour order), local or `s3://`; an Arquero table whose 64-bit
 * integers are plain numbers. Any Parquet file reads the same way.
 *
 * @example
 * const metrics = await readMetrics('out/metrics.parquet');
 * const byHour = await readMetrics('s3://results/consent-metrics/', { s3: { endpoint } });
 */
export async function readMetrics(path: string, { s3 = {} }: { s3?: S3Options } = {}): Promise<ColumnTable> {
  const folder = path.endsWith('/');
  const [root, name] = folder ? [path.replace(/\/+$/, ''), ''] : isS3Url(path) ? [path.slice(0, path.lastIndexOf('/')), path.slice(path.lastIndexOf('/') + 1)] : [dirname(path), basename(path)];
  const source = await openSource(root, s3);
  const keys = folder ? await datehourFiles(source, path) : [name];
  const tables: ColumnTable[] = [];
  for (const key of keys) {
    const chunks: Uint8Array[] = [];
    for await (const chunk of await source.open(key)) chunks.push(chunk);
    let ipc: Uint8Array;
    try {
      ipc = parquetToIPC(Buffer.concat(chunks));
    } catch (error) {
      throw new ConsentMetricsError(`${source.describe(key)} is not a Parquet file we can read: ${(error as Error).message ?? error}`);
    }
    const table = aq.fromArrow(ipc);
    if (tables.length > 0 && table.columnNames().join() !== tables[0]!.columnNames().join()) {
      throw new ConsentMetricsError(`${source.describe(key)} has the columns ${table.columnNames().join(', ')}, not those of ${source.describe(keys[0]!)}: ${tables[0]!.columnNames().join(', ')}`);
    }
    tables.push(table);
  }
  return tables.length === 1 ? tables[0]! : tables[0]!.concat(...tables.slice(1));
}

/** The `datehour=.../*.parquet` files under a folder, in datehour then name order. */
async function datehourFiles(source: Awaited<ReturnType<typeof openSource>>, path: string): Promise<string[]> {
  const folders = (await source.listFolders('')).filter((name) => name.startsWith('datehour=')).sort();
  const keys: string[] = [];
  for (const folder of folders) keys.push(...(await source.listFiles(folder)).filter((key) => key.endsWith('.parquet')).sort());
  if (keys.length === 0) throw new ConsentMetricsError(`no datehour=.../*.parquet files under ${path}`);
  return keys;
}
