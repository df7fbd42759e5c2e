import { createRequire } from 'node:module';
import { tableToIPC, type Table as ArrowTable } from 'apache-arrow';
import type * as ParquetWasm from 'parquet-wasm';
import { COUNT_METRICS } from '../metrics/metricDefinitions.ts';
import type { CompressionName } from './compressions.ts';

export { COMPRESSIONS, type CompressionName } from './compressions.ts';

// parquet-wasm's Node build is CommonJS. Node's `import` of CommonJS first scans its 100 KB for export names
// (~30 ms of CPU, and TurboFan compiling the scanner); `require` loads it as is. Deno imports it.
const { Compression, Encoding, Table, WriterPropertiesBuilder, readParquet, transformParquetStream, writeParquet }: typeof ParquetWasm =
  'Deno' in globalThis ? await import('parquet-wasm') : createRequire(import.meta.url)('parquet-wasm');

const CODECS: Record<CompressionName, ParquetWasm.Compression> = {
  snappy: Compression.SNAPPY,
  zstd: Compression.ZSTD,
  none: Compression.UNCOMPRESSED,
};

/**
 * How a table's columns are encoded: `countEncodings`, the metrics' count columns delta-encoded (for
 * tables in the output schema); `distinctColumns`, columns whose values are nearly all distinct (ids),
 * written without a dictionary, which would only be built to be dropped.
 *
 * @example
 * encodeParquet(ipc, 'zstd', { countEncodings: false, distinctColumns: ['id', 'user_id', 'line'] });
 */
export interface ColumnEncodings {
  /** Default: true. */
  countEncodings?: boolean;
  /** Default: none. */
  distinctColumns?: readonly string[];
}

function writerProperties(compression: CompressionName, { countEncodings = true, distinctColumns = [] }: ColumnEncodings): ParquetWasm.WriterProperties {
  let properties = new WriterPropertiesBuilder().setCompression(CODECS[compression]).setCreatedBy('consent-metrics');
  for (const name of distinctColumns) properties = properties.setColumnDictionaryEnabled(name, false);
  // Counts are small integers: delta encoding packs them as tightly as a dictionary does here, and
  // encodes in a third less time (the write is at the run's end, with a core idle).
  if (countEncodings) for (const name of COUNT_METRICS) properties = properties.setColumnDictionaryEnabled(name, false).setColumnEncoding(name, Encoding.DELTA_BINARY_PACKED);
  return properties.build();
}

/**
 * Arrow IPC stream bytes from Parquet file bytes, with parquet-wasm (`tableFromIPC` or Arquero's
 * `fromArrow` read them).
 *
 * @example
 * const table = tableFromIPC(parquetToIPC(await readFile('out/m.parquet')));
 */
export function parquetToIPC(parquet: Uint8Array): Uint8Array {
  return readParquet(parquet).intoIPCStream();
}

/**
 * Parquet file bytes from Arrow IPC stream bytes, with parquet-wasm, its columns encoded as `encodings` says.
 *
 * @example
 * const bytes = encodeParquet(metricsToArrowIPC(metrics), 'zstd');
 */
export function encodeParquet(arrowIPC: Uint8Array, compression: CompressionName = 'snappy', encodings: ColumnEncodings = {}): Uint8Array {
  return writeParquet(Table.fromIPCStream(arrowIPC), writerProperties(compression, encodings));
}

/**
 * Parquet file bytes, given as they are made, from Arrow tables that come one after another (each
 * table's record batches, in order). A row group leaves as soon as it is full, so memory holds one row
 * group, not the file. The bytes equal `encodeParquet` of all the batches in one table. `empty` is a
 * table of the same schema and no rows: it gives the file its schema when no table comes. `encodings`
 * as for {@link encodeParquet}.
 *
 * @example
 * for await (const chunk of encodeParquetStream(metricsToArrow(emptyMetrics()), batches())) await file.write(chunk);
 */
export async function* encodeParquetStream(
  empty: ArrowTable, tables: AsyncIterable<ArrowTable>, compression: CompressionName = 'snappy', encodings: ColumnEncodings = {},
): AsyncGenerator<Uint8Array> {
  const source = tables[Symbol.asyncIterator]();
  let failure: unknown;
  let pending: ParquetWasm.RecordBatch[] = toWasmBatches(empty.slice(0, 0)).slice(0, 1); // a batch of no rows changes no byte
  const batches = new ReadableStream<ParquetWasm.RecordBatch>({
    async pull(controller) {
      while (pending.length === 0) {
        const next = await source.next().catch((error: unknown) => Promise.reject((failure = error)));
        if (next.done) return controller.close();
        pending = toWasmBatches(next.value);
      }
      controller.enqueue(pending.shift()!);
    },
    async cancel() {
      await source.return?.();
    },
  });
  const bytes: ReadableStream<Uint8Array> = await transformParquetStream(batches, writerProperties(compression, encodings));
  const reader = bytes.getReader();
  try {
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) yield chunk.value;
    // parquet-wasm ends a file well when its input fails: that file must not pass for whole.
    if (failure !== undefined) throw failure;
  } catch (error) {
    throw failure ?? error;
  } finally {
    reader.releaseLock();
    for (const batch of pending) batch.free();
  }
}

/** A table's record batches, copied into parquet-wasm's memory (the writer takes and frees each). */
function toWasmBatches(table: ArrowTable): ParquetWasm.RecordBatch[] {
  const wasmTable = Table.fromIPCStream(tableToIPC(table, 'stream'));
  try {
    return wasmTable.recordBatches();
  } finally {
    wasmTable.free();
  }
}
