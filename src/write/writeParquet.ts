import type { ColumnTable } from 'arquero';
import { encodeParquet, type CompressionName } from './encodeParquet.ts';
import { metricsToArrowIPC } from './metricsToArrow.ts';
import type { OutputFile, Sink } from './Sink.ts';

export interface WriteOptions {
  /** Parquet compression. Default: `'snappy'`. */
  compression?: CompressionName;
  /**
   * Write one file per datehour, `datehour=<value>/part-0.parquet`, instead of one file at `key`.
   * List the datehours the run read: each gets a file, an empty one if it has no rows, so a rerun of
   * some partitions replaces exactly their files. Default: one file.
   */
  byDatehour?: string[];
}

/**
 * Writes metrics as Parquet to a sink: one file at `key`, or one per datehour under `key` (a folder
 * prefix, `''` for the sink's root). Returns the locations written.
 *
 * @example
 * await writeParquet(metrics, localSink('out'), 'metrics.parquet');
 * await writeParquet(metrics, localSink('out/by-hour'), '', { byDatehour: ['2021-01-23-10'] });
 */
export async function writeParquet(
  metrics: ColumnTable,
  sink: Sink,
  key: string,
  { compression = 'snappy', byDatehour }: WriteOptions = {},
): Promise<string[]> {
  const encode = (table: ColumnTable) => encodeParquet(metricsToArrowIPC(table), compression);
  const files: OutputFile[] = byDatehour
    ? byDatehour.map((datehour) => ({
        key: [key.replace(/\/+$/, ''), `datehour=${datehour}`, 'part-0.parquet'].filter(Boolean).join('/'),
        bytes: encode(metrics.params({ datehour }).filter('(d, $) => d.datehour === $.datehour')),
      }))
    : [{ key, bytes: encode(metrics) }];
  await sink.write(files);
  return files.map((file) => sink.describe(file.key));
}

