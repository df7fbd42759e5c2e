import { Compression, Table, WriterPropertiesBuilder, writeParquet } from 'parquet-wasm';

/**
 * A Parquet codec: `snappy` (the default: fast, readable everywhere), `zstd` (smaller) or `none`.
 *
 * @example
 * const compression: CompressionName = 'zstd';
 */
export type CompressionName = 'snappy' | 'zstd' | 'none';
/**
 * The Parquet codecs `--compression` accepts.
 *
 * @example
 * COMPRESSIONS.includes('zstd'); // true
 */
export const COMPRESSIONS: readonly CompressionName[] = ['snappy', 'zstd', 'none'];

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
