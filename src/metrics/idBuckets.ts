import { ConsentMetricsError } from '../errors.ts';
import { rebaseOffsets } from '../read/columnBuilders.ts';
import { growMemory, MAX_MEMORY, wasmInstance, type WasmMemory } from '../wasm/wasmModule.ts';

/**
 * One piece's ids that fall in one bucket, in row order: what a dedup lane or task compares by bytes (each
 * id encoded as splitIds writes it: a UUID in 17 bytes; equal ids, equal encodings).
 *
 * @example
 * const { rows, hashes, offsets, bytes }: IdBucket = decodeIdBucket(file, 'ids of 2021-01-23-10');
 */
export interface IdBucket {
  /** The partition row of each id. */
  rows: Int32Array;
  /** Each id's hash (the parser's `hashBytes`). */
  hashes: Int32Array;
  /** Offsets of each id in `bytes` (one more than ids). */
  offsets: Int32Array;
  /** The ids' encoded bytes, one after another. */
  bytes: Uint8Array;
}

/**
 * One file's ids, in row order, as a parsed file holds them (offsets into `idBytes`, `rows + 1` of them).
 *
 * @example
 * const file: IdFile = { rows: 2, idBytes, idOffsets: Int32Array.of(0, 36, 72), idHashes };
 */
export interface IdFile {
  rows: number;
  idBytes: Uint8Array;
  idOffsets: Int32Array;
  idHashes: Int32Array;
}

/**
 * Throws, quoting the bad value, unless `buckets` is a whole number from 1.
 *
 * @example
 * validateBuckets(64);
 */
export function validateBuckets(buckets: number): void {
  if (!Number.isInteger(buckets) || buckets < 1) throw new ConsentMetricsError(`buckets must be a whole number from 1, got ${JSON.stringify(buckets)}`);
}

/**
 * Splits a piece's ids (its files' or splits', one after another, rows numbered across them) into `buckets`,
 * written one after another in one file, each at a 4-byte boundary: its ids, their hashes, rows and
 * lengths, and their bytes, a UUID in 17 (layout in assembly/splitIds.ts); `ranges[2b]` to
 * `ranges[2b + 1]` (bytes, end exclusive) is bucket `b`: a dedup task reads its bucket's share of each
 * read task's ids by range, so the work location holds one ids file per read, not one per bucket. A
 * bucket is the high bits of a mix of all of the hash's bits: the dedup set indexes by the low bits,
 * and ids of one bucket still spread over its slots. The loop runs in WebAssembly; each file's ids are
 * copied straight into its memory.
 *
 * @example
 * const { bytes, ranges } = splitIds(expandedFiles, 16);
 */
export function splitIds(files: readonly IdFile[], buckets: number): { bytes: Uint8Array; ranges: number[] } {
  const exports = (splitter ??= wasmInstance<SplitExports>(new URL('./splitIds.wasm', import.meta.url))); // assembly/splitIds.ts
  const rows = files.reduce((sum, file) => sum + file.rows, 0);
  const length = files.reduce((sum, file) => sum + file.idOffsets[file.rows]! - file.idOffsets[0]!, 0);
  const needed = exports.layout(rows, length, buckets);
  if (needed > MAX_MEMORY) throw new ConsentMetricsError(`a partition of ${rows} ids (${length} bytes) is too large to split into buckets on one thread: split its hour into smaller partitions`);
  const { memory, region } = exports;
  growMemory(memory, needed);
  const buffer = memory.buffer;
  const hashes = new Int32Array(buffer, region(0), rows);
  const offsets = new Int32Array(buffer, region(1), rows + 1);
  const bytes = new Uint8Array(buffer, region(2), length);
  let row = 0;
  let byte = 0;
  for (const { rows: count, idBytes, idOffsets, idHashes } of files) {
    const first = idOffsets[0]!;
    hashes.set(idHashes.subarray(0, count), row);
    rebaseOffsets(offsets, row, idOffsets, count, byte - first);
    bytes.set(idBytes.subarray(first, idOffsets[count]!), byte);
    byte += idOffsets[count]! - first;
    row += count;
  }
  offsets[rows] = byte;
  const size = exports.split(rows, buckets);
  // Copied out: the file outlives this thread's next split.
  return { bytes: new Uint8Array(buffer, region(4), size).slice(), ranges: Array.from(new Int32Array(buffer, region(3), 2 * buckets)) };
}

interface SplitExports {
  memory: WasmMemory;
  layout(rows: number, bytes: number, buckets: number): number;
  region(index: number): number;
  split(rows: number, buckets: number): number;
}

/** The splitting loop's WebAssembly instance, one per thread, its memory reused from partition to partition. */
let splitter: SplitExports | undefined;


/**
 * Reads a bucket's share of an ids file written by {@link splitIds}; a share whose parts do not add
 * up is an error naming `describe`.
 *
 * @example
 * const ids = decodeIdBucket(await store.getRange(key, start, end), 'ids/0.bin');
 */
export function decodeIdBucket(file: Uint8Array, describe: string): IdBucket {
  const damaged = () => new ConsentMetricsError(`work file ${describe} is damaged: a bucket's ids do not add up`);
  if (file.length < 12) throw damaged();
  // Int32Array views need 4-byte alignment: copy the rare file that arrives unaligned.
  const aligned = file.byteOffset % 4 === 0 ? file : new Uint8Array(file);
  const [count, stepBytes, lengthBytes] = new Int32Array(aligned.buffer, aligned.byteOffset, 3) as unknown as [number, number, number];
  const dataAt = 12 + count * 4 + stepBytes + lengthBytes;
  if (!(count >= 0 && stepBytes >= 0 && lengthBytes >= 0 && dataAt <= aligned.length)) throw damaged();
  const rows = new Int32Array(count);
  const offsets = new Int32Array(count + 1);
  let at = 12 + count * 4;
  /** The LEB128 number at `at`, which must end before `end`. */
  const varint = (end: number) => {
    let value = 0;
    for (let shift = 0; at < end; shift += 7) {
      const byte = aligned[at++]!;
      value |= (byte & 0x7f) << shift;
      if (byte < 0x80) return value;
    }
    throw damaged();
  };
  const stepsEnd = 12 + count * 4 + stepBytes;
  let row = 0;
  for (let index = 0; index < count; index++) rows[index] = row += varint(stepsEnd);
  for (let index = 0; index < count; index++) offsets[index + 1] = offsets[index]! + varint(dataAt);
  if (at !== dataAt || dataAt + offsets[count]! > aligned.length) throw damaged();
  return { rows, hashes: new Int32Array(aligned.buffer, aligned.byteOffset + 12, count), offsets, bytes: aligned.subarray(dataAt, dataAt + offsets[count]!) };
}
