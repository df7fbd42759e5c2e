import type { ColumnTable } from 'arquero';
import { Table, tableToIPC } from 'apache-arrow';
import { encodeParquet, encodeParquetStream, type CompressionName } from './encodeParquet.ts';
import { joinMetrics, metricsToArrow } from './metricsToArrow.ts';
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
   * Write one file per datehour, `datehour=<value>/part-0.parquet` (per date, `date=<value>/`, for a day's
   * rows: the table's first column names the folders), instead of one file at `key`.
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
  const encode = (ranges: DatehourRange[]) => encodeParquet(tableToIPC(batchPerDatehour(table, ranges), 'stream'), compression);
  const files: OutputFile[] = byDatehour
    ? byDatehour.map((datehour) => ({
        key: [key.replace(/\/+$/, ''), `${table.schema.fields[0]!.name}=${datehour}`, 'part-0.parquet'].filter(Boolean).join('/'),
        bytes: encode(hours.filter((range) => range.datehour === datehour)),
      }))
    : [{ key, bytes: encode(hours) }];
  await sink.write(files);
  return files.map((file) => sink.describe(file.key));
}

/**
 * Some of a run's metrics, in the output schema and sorted by datehour, and the datehours of the run
 * they cover (each gets a file when writing one per datehour, an empty one if it has no rows).
 *
 * @example
 * const batch: MetricsBatch = { metrics: partitionsMetrics(counts), datehours: ['2021-01-23-10'] };
 */
export interface MetricsBatch {
  /** The rows, in the output schema (`metricsToArrow`), sorted by datehour. */
  metrics: Table;
  /** The datehours of the run these rows are of, rows or none. */
  datehours: string[];
}

/** Writes metrics to an opened `--out` target: its one file, or one file per datehour of the run. */
export function writeToTarget(metrics: Table, target: OutputTarget, datehours: string[], compression?: CompressionName): Promise<string[]> {
  return writeBatchesToTarget((async function* () { yield { metrics, datehours }; })(), target, compression, metrics.slice(0, 0));
}

/**
 * Writes metrics that come batch after batch (in datehour order) to an opened `--out` target, holding
 * one batch at a time: one file, encoded as the batches come (row group by row group), or each batch's
 * files per datehour. The bytes equal those of `writeToTarget` with all the batches in one table. `empty`: a
 * table of the batches' schema without rows (default: the metrics').
 *
 * @example
 * await writeBatchesToTarget(batches(), await openSink('out/metrics.parquet'), 'zstd');
 */
export async function writeBatchesToTarget(batches: AsyncIterable<MetricsBatch>, target: OutputTarget, compression?: CompressionName, empty: Table = joinMetrics([])): Promise<string[]> {
  const { sink, key } = target;
  if (target.byDatehour) {
    const written: string[] = [];
    for await (const { metrics, datehours } of batches) written.push(...(await writeParquet(metrics, sink, key, { compression, byDatehour: datehours })));
    return written;
  }
  const tables = (async function* () {
    for await (const { metrics } of batches) yield batchPerDatehour(metrics, datehourRanges(metrics));
  })();
  const chunks = encodeParquetStream(empty, tables, compression);
  if (sink.writeFrom) await sink.writeFrom(key, chunks);
  else await sink.write([{ key, bytes: await gathered(chunks) }]);
  return [sink.describe(key)];
}

/**
 * Chunks joined into one array (`Array.fromAsync` is not in Node 20).
 *
 * @example
 * const bytes = await gathered(encodeParquetStream(empty, tables()));
 */
export async function gathered(chunks: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const chunk of chunks) parts.push(chunk);
  const bytes = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  parts.reduce((at, part) => (bytes.set(part, at), at + part.length), 0);
  return bytes;
}

/**
 * The rows of `ranges`, as one record batch per datehour whatever batches the table came in: the bytes
 * written then depend on the rows alone, not on how a run batched its work.
 */
function batchPerDatehour(table: Table, ranges: DatehourRange[]): Table {
  return new Table(table.schema, ranges.flatMap(({ begin, end }) => table.slice(begin, end).batches));
}

interface DatehourRange {
  datehour: string;
  begin: number;
  end: number;
}

/**
 * The rows of each time value (the first column: `datehour`, or `date` for a day's rows): contiguous
 * ranges, since rows are sorted by it (found by binary search).
 */
function datehourRanges(table: Table): DatehourRange[] {
  const datehours = table.getChildAt(0)!;
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
