import { ConsentMetricsError } from '../../errors.ts';
import { wasmInstance, type WasmMemory } from '../../read/wasmModule.ts';

/**
 * One partition's ids that fall in one bucket, in row order: what a dedup task compares by bytes.
 *
 * @example
 * const { rows, hashes, offsets, bytes }: IdBucket = decodeIdBucket(file);
 */
export interface IdBucket {
  /** The partition row of each id. */
  rows: Int32Array;
  /** Each id's hash (the parser's `hashBytes`). */
  hashes: Int32Array;
  /** Offsets of each id in `bytes` (one more than ids). */
  offsets: Int32Array;
  /** The ids' UTF-8 bytes, one after another. */
  bytes: Uint8Array;
}

/**
 * Splits a partition's ids (`bytes`, `offsets`, `idHashes`, in row order) into `buckets`, written one
 * after another in one file, each `[count][rows][hashes][offsets][bytes]` as little-endian int32 words
 * then the bytes (4-byte aligned); `ranges[2b]` to `ranges[2b + 1]` (bytes, end exclusive) is bucket
 * `b`: a dedup task reads its bucket's share of each partition by range, so the work location holds
 * one ids file per partition, not one per bucket. A bucket is the high bits of a mix of all of the
 * hash's bits: the dedup set indexes by the low bits, and ids of one bucket still spread over its slots.
 * The loop runs in WebAssembly (assembly/splitIds.ts).
 *
 * @example
 * const { bytes, ranges } = splitIds(joinIds(expandedFiles), 16);
 */
export function splitIds({ rows, bytes: idBytes, offsets: idOffsets, idHashes: hashes }: { rows: number; bytes: Uint8Array; offsets: Int32Array; idHashes: Int32Array }, buckets: number): { bytes: Uint8Array; ranges: number[] } {
  const exports = (splitter ??= wasmInstance<SplitExports>(new URL('./splitIds.wasm', import.meta.url))); // assembly/splitIds.ts
  const first = idOffsets[0]!;
  const length = idOffsets[rows]! - first;
  const needed = exports.layout(rows, length, buckets);
  if (needed > MAX_MEMORY) throw new ConsentMetricsError(`a partition of ${rows} ids (${length} bytes) is too large to split into buckets on one thread: split its hour into smaller partitions`);
  const { memory, region } = exports;
  if (memory.buffer.byteLength < needed) memory.grow(Math.ceil((needed - memory.buffer.byteLength) / 65536));
  const buffer = memory.buffer;
  new Int32Array(buffer, region(0), rows).set(hashes.subarray(0, rows));
  const offsets = new Int32Array(buffer, region(1), rows + 1);
  for (let row = 0; row <= rows; row++) offsets[row] = idOffsets[row]! - first;
  new Uint8Array(buffer, region(2), length).set(idBytes.subarray(first, first + length));
  const size = exports.split(rows, buckets);
  // Copied out: the file outlives this thread's next split.
  return { bytes: new Uint8Array(buffer, region(4), size).slice(), ranges: Array.from(new Int32Array(buffer, region(3), 2 * buckets)) };
}

/** The most a 32-bit WebAssembly memory holds: 65,536 pages of 64 KiB, less one page. */
const MAX_MEMORY = 2 ** 32 - 65536;

interface SplitExports {
  memory: WasmMemory;
  layout(rows: number, bytes: number, buckets: number): number;
  region(index: number): number;
  split(rows: number, buckets: number): number;
}

/** The splitting loop's WebAssembly instance, one per thread, its memory reused from partition to partition. */
let splitter: SplitExports | undefined;


function viewsOf(encoded: Uint8Array, count: number): IdBucket {
  const buffer = encoded.buffer;
  const base = encoded.byteOffset;
  const words = 1 + count * 3 + 1;
  return {
    rows: new Int32Array(buffer, base + 4, count),
    hashes: new Int32Array(buffer, base + 4 + count * 4, count),
    offsets: new Int32Array(buffer, base + 4 + count * 8, count + 1),
    bytes: new Uint8Array(buffer, base + words * 4, encoded.length - words * 4),
  };
}

/**
 * Reads a bucket file written by {@link splitIds}.
 *
 * @example
 * const ids = decodeIdBucket(await store.get('ids/2021-01-23-10/3.bin'));
 */
export function decodeIdBucket(file: Uint8Array): IdBucket {
  // Int32Array views need 4-byte alignment: copy the rare file that arrives unaligned.
  const aligned = file.byteOffset % 4 === 0 ? file : new Uint8Array(file);
  const count = new Int32Array(aligned.buffer, aligned.byteOffset, 1)[0]!;
  return viewsOf(aligned, count);
}
