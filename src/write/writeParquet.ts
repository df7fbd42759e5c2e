import type { ColumnTable } from 'arquero';
import { Table, tableToIPC } from 'apache-arrow';
import { encodeParquet, type CompressionName } from './encodeParquet.ts';
import { metricsToArrow } from './metricsToArrow.ts';
import type { OutputTarget } from './openSink.ts';
import type { OutputFile, Sink } from './Sink.ts';

/**
 * How `writeParquet` encodes and lays out its files.
 *
 * @example
 * await writeParquet(metrics, localSink('out'), '', { compression: 'zstd', byDatehour: ['2021-01-23-10'] });
 */
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
 * prefix, `''` for the sink's root). `metrics` is an Arquero table, or an Arrow table already in the
 * output schema (`metricsToArrow`) sorted by datehour. Returns the locations written.
 *
 * @example
 * await writeParquet(metrics, localSink('out'), 'metrics.parquet');
 * await writeParquet(metrics, localSink('out/by-hour'), '', { byDatehour: ['2021-01-23-10'] });
 */
export async function writeParquet(
  metrics: ColumnTable | Table,
  sink: Sink,
  key: string,
  { compression = 'snappy', byDatehour }: WriteOptions = {},
): Promise<string[]> {
  const table = metrics instanceof Table ? metrics : metricsToArrow(metrics);
  const encode = (rows: Table) => encodeParquet(tableToIPC(rows, 'stream'), compression);
  const files: OutputFile[] = byDatehour
    ? byDatehour.map((datehour) => ({
        key: [key.replace(/\/+$/, ''), `datehour=${datehour}`, 'part-0.parquet'].filter(Boolean).join('/'),
        bytes: encode(rowsOfDatehour(table, datehour)),
      }))
    : [{ key, bytes: encode(table) }];
  await sink.write(files);
  return files.map((file) => sink.describe(file.key));
}


/** Writes metrics to an opened `--out` target: its one file, or one file per datehour of the run. */
export function writeToTarget(metrics: Table, target: OutputTarget, datehours: string[], compression?: CompressionName): Promise<string[]> {
  return writeParquet(metrics, target.sink, target.key, { compression, byDatehour: target.byDatehour ? datehours : undefined });
}

/** The rows of one datehour: a contiguous range, since metrics are sorted by datehour. */
function rowsOfDatehour(table: Table, datehour: string): Table {
  const datehours = table.getChild('datehour')!;
  let begin = 0;
  while (begin < table.numRows && datehours.get(begin) < datehour) begin++;
  let end = begin;
  while (end < table.numRows && datehours.get(end) === datehour) end++;
  return table.slice(begin, end);
}
