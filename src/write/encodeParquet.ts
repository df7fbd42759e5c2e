import { Compression, Table, WriterPropertiesBuilder, writeParquet } from 'parquet-wasm';
import type { CompressionName } from './compressions.ts';

export { COMPRESSIONS, type CompressionName } from './compressions.ts';

const CODECS: Record<CompressionName, Compression> = {
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
