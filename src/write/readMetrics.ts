import * as aq from 'arquero';
import type { ColumnTable } from 'arquero';
import { ConsentMetricsError } from '../errors.ts';
import type { S3Options } from '../s3/createS3Client.ts';
import { openSource } from '../source/openSource.ts';
import { parquetToIPC } from './encodeParquet.ts';

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
  const root = folder ? path.replace(/\/+$/, '') : path.slice(0, Math.max(0, path.lastIndexOf('/'))) || '.';
  const source = await openSource(root, s3);
  const keys = folder ? await datehourFiles(source, path) : [path.slice(path.lastIndexOf('/') + 1)];
  const tables: ColumnTable[] = [];
  for (const key of keys) {
    const chunks: Uint8Array[] = [];
    for await (const chunk of await source.open(key)) chunks.push(chunk);
    const bytes = Buffer.concat(chunks);
    try {
      tables.push(aq.fromArrow(parquetToIPC(bytes)));
    } catch (error) {
      throw new ConsentMetricsError(`${source.describe(key)} is not a Parquet file we can read: ${(error as Error).message ?? error}`);
    }
  }
  return tables.length === 1 ? tables[0]! : tables.slice(1).reduce((all, table) => all.concat(table), tables[0]!);
}

/** The `datehour=.../*.parquet` files under a folder, in datehour then name order. */
async function datehourFiles(source: Awaited<ReturnType<typeof openSource>>, path: string): Promise<string[]> {
  const folders = (await source.listFolders('')).filter((name) => name.startsWith('datehour=')).sort();
  const keys: string[] = [];
  for (const folder of folders) keys.push(...(await source.listFiles(folder)).filter((key) => key.endsWith('.parquet')).sort());
  if (keys.length === 0) throw new ConsentMetricsError(`no datehour=.../*.parquet files under ${path}`);
  return keys;
}
