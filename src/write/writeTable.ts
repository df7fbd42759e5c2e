import * as aq from 'arquero';
import type { ColumnTable } from 'arquero';
import { Table, tableToIPC } from 'apache-arrow';
import { OptionError } from '../errors.ts';
import type { S3Options } from '../s3/createS3Client.ts';
import { COMPRESSIONS, encodeParquet, type CompressionName } from './encodeParquet.ts';
import { METRIC_COLUMNS } from '../metrics/metricDefinitions.ts';
import { metricsToArrow } from './metricsToArrow.ts';
import { openSink } from './openSink.ts';

/** The formats `writeTable` writes, by the path's extension. */
const FORMATS = { parquet: ['.parquet'], csv: ['.csv'], jsonl: ['.jsonl', '.ndjson'], arrow: ['.arrow', '.feather', '.ipc'] } as const;

/**
 * Writes any table, Arquero or Apache Arrow, as one file whose format the path's extension gives:
 * `.parquet` (its Arrow types kept; `compression`), `.csv` (a header row), `.jsonl` or `.ndjson` (an
 * object a line; 64-bit integers as numbers, or as strings of their digits past 2^53, where a number would
 * round them) or `.arrow`, `.feather`, `.ipc` (Arrow IPC file). Local or
 * `s3://`, atomically like the job's output: written whole under a temporary name, then renamed (a
 * local file), or put whole (S3). Returns where it wrote.
 *
 * @example
 * await writeTable(metrics.filter((d) => d.country === 'FR'), 'out/fr.csv');
 * await writeTable(eventsTable, 's3://results/events.parquet', { compression: 'zstd' });
 */
export async function writeTable(table: ColumnTable | Table, path: string, { s3, compression = 'snappy' }: { s3?: S3Options; compression?: CompressionName } = {}): Promise<string> {
  if (!COMPRESSIONS.includes(compression)) throw new OptionError(`compression must be one of ${COMPRESSIONS.join(', ')}, got ${JSON.stringify(compression)}`);
  if (path.endsWith('/')) throw new OptionError(`writeTable writes one file, got a folder: ${path}`);
  const format = (Object.keys(FORMATS) as (keyof typeof FORMATS)[]).find((name) => FORMATS[name].some((extension) => path.toLowerCase().endsWith(extension)));
  if (!format) throw new OptionError(`writeTable writes ${Object.values(FORMATS).flat().join(', ')} files, by the path's extension; got ${path}`);
  const { sink, key } = await openSink(path, s3);
  await sink.write([{ key, bytes: encode(table, format, compression) }]);
  return sink.describe(key);
}

/** Whether an Arquero table holds the job's metrics, column for column: written in the output schema. */
const isMetrics = (table: ColumnTable) => table.columnNames().join() === METRIC_COLUMNS.join();

function encode(table: ColumnTable | Table, format: keyof typeof FORMATS, compression: CompressionName): Uint8Array {
  // Arquero's metrics go through the output schema (int64 counts); other Arquero tables as Arquero types them.
  const asArrow = () => (table instanceof Table ? table : isMetrics(table) ? metricsToArrow(table) : undefined);
  const arrowIPC = (ipcFormat: 'stream' | 'file') => {
    const arrow = asArrow();
    return arrow ? tableToIPC(arrow, ipcFormat) : aq.toArrowIPC(table as ColumnTable, { format: ipcFormat });
  };
  // 64-bit integers of an Arrow table stay BigInts on the way to text: past 2^53 a number would round them.
  const arquero = () => (table instanceof Table ? aq.fromArrow(tableToIPC(table, 'stream'), { useBigInt: true }) : table);
  switch (format) {
    case 'parquet':
      return encodeParquet(arrowIPC('stream'), compression, { countEncodings: !(table instanceof Table) && isMetrics(table) });
    case 'arrow':
      return arrowIPC('file');
    case 'csv':
      return new TextEncoder().encode(arquero().toCSV());
    case 'jsonl': {
      const rows = arquero().objects().map((row) => JSON.stringify(row, (_, value) => (typeof value === 'bigint' ? exactNumber(value) : value)));
      return new TextEncoder().encode(rows.map((row) => `${row}\n`).join(''));
    }
  }
}

/** A 64-bit integer as a JSON number when it is one exactly, else as its digits in a string. */
function exactNumber(value: bigint): number | string {
  return Number.isSafeInteger(Number(value)) ? Number(value) : String(value);
}
