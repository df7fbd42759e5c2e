// The codec names alone, without parquet-wasm: the CLI checks its flags before anything heavy loads.

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

