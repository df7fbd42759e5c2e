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
  const hours = datehourRanges(table);
  // One record batch per datehour, whatever batches the table came in: the bytes written then depend
  // on the rows alone, not on how a run batched its work.
  const encode = (ranges: DatehourRange[]) =>
    encodeParquet(tableToIPC(new Table(table.schema, ranges.flatMap(({ begin, end }) => table.slice(begin, end).batches)), 'stream'), compression);
  const files: OutputFile[] = byDatehour
    ? byDatehour.map((datehour) => ({
        key: [key.replace(/\/+$/, ''), `datehour=${datehour}`, 'part-0.parquet'].filter(Boolean).join('/'),
        bytes: encode(hours.filter((range) => range.datehour === datehour)),
      }))
    : [{ key, bytes: encode(hours) }];
  await sink.write(files);
  return files.map((file) => sink.describe(file.key));
}


/** Writes metrics to an opened `--out` target: its one file, or one file per datehour of the run. */
export function writeToTarget(metrics: Table, target: OutputTarget, datehours: string[], compression?: CompressionName): Promise<string[]> {
  return writeParquet(metrics, target.sink, target.key, { compression, byDatehour: target.byDatehour ? datehours : undefined });
}

interface DatehourRange {
  datehour: string;
  begin: number;
  end: number;
}

/** The rows of each datehour: contiguous ranges, since metrics are sorted by datehour (found by binary search). */
function datehourRanges(table: Table): DatehourRange[] {
  const datehours = table.getChild('datehour')!;
  const ranges: DatehourRange[] = [];
  for (let begin = 0; begin < table.numRows; ) {
    const datehour = datehours.get(begin) as string;
    let low = begin + 1;
    let high = table.numRows; // the range ends in [low, high]
    while (low < high) {
      const middle = (low + high) >> 1;
      if (datehours.get(middle) === datehour) low = middle + 1;
      else high = middle;
    }
    ranges.push({ datehour, begin, end: low });
    begin = low;
  }
  return ranges;
}
