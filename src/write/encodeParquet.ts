import { createRequire } from 'node:module';
import type * as ParquetWasm from 'parquet-wasm';
import { COUNT_METRICS } from '../metrics/metricsFromCells.ts';
import type { CompressionName } from './compressions.ts';

export { COMPRESSIONS, type CompressionName } from './compressions.ts';

// parquet-wasm's Node build is CommonJS. Node's `import` of CommonJS first scans its 100 KB for export names
// (~30 ms of CPU, and TurboFan compiling the scanner); `require` loads it as is. Deno imports it.
const { Compression, Encoding, Table, WriterPropertiesBuilder, writeParquet }: typeof ParquetWasm =
  'Deno' in globalThis ? await import('parquet-wasm') : createRequire(import.meta.url)('parquet-wasm');

const CODECS: Record<CompressionName, ParquetWasm.Compression> = {
  snappy: Compression.SNAPPY,
  zstd: Compression.ZSTD,
  none: Compression.UNCOMPRESSED,
};

/**
 * Parquet file bytes from Arrow IPC stream bytes, with parquet-wasm.
 *
 * @example
 * const bytes = encodeParquet(metricsToArrowIPC(metrics), 'zstd');
 */
export function encodeParquet(arrowIPC: Uint8Array, compression: CompressionName = 'snappy'): Uint8Array {
  const table = Table.fromIPCStream(arrowIPC);
  let properties = new WriterPropertiesBuilder().setCompression(CODECS[compression]).setCreatedBy('consent-metrics');
  // Counts are small integers: delta encoding packs them as tightly as a dictionary does here, and
  // encodes in a third less time (the write is at the run's end, with a core idle).
  for (const name of COUNT_METRICS) properties = properties.setColumnDictionaryEnabled(name, false).setColumnEncoding(name, Encoding.DELTA_BINARY_PACKED);
  return writeParquet(table, properties.build());
}
