import { createRequire } from 'node:module';
import type * as ParquetWasm from 'parquet-wasm';
import type { CompressionName } from './compressions.ts';

export { COMPRESSIONS, type CompressionName } from './compressions.ts';

// parquet-wasm's Node build is CommonJS. Node's `import` of CommonJS first scans its 100 KB for export names
// (~30 ms of CPU, and TurboFan compiling the scanner); `require` loads it as is. Deno imports it.
const { Compression, Table, WriterPropertiesBuilder, writeParquet }: typeof ParquetWasm =
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
  const properties = new WriterPropertiesBuilder()
    .setCompression(CODECS[compression])
    .setCreatedBy('consent-metrics')
    .build();
  return writeParquet(table, properties);
}
