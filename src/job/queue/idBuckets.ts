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
 * The bucket an id hash falls in. The dedup set indexes by the hash's low bits, so the bucket is
 * taken from a mix of all of them: ids of one bucket still spread over the set's slots.
 *
 * @example
 * bucketOf(idHash, 16); // 0..15
 */
export function bucketOf(hash: number, buckets: number): number {
  return ((Math.imul(hash ^ (hash >>> 15), 0x2c1b3c6d) >>> 0) * buckets * 2 ** -32) | 0; // the high bits, scaled: no division
}

/**
 * Splits a partition's ids (`bytes`, `offsets`, `idHashes`, in row order) into `buckets`, written one
 * after another in one file, each `[count][rows][hashes][offsets][bytes]` as little-endian int32 words
 * then the bytes (4-byte aligned); `ranges[2b]` to `ranges[2b + 1]` (bytes, end exclusive) is bucket
 * `b`: a dedup task reads its bucket's share of each partition by range, so the work location holds
 * one ids file per partition, not one per bucket.
 *
 * @example
 * const { bytes, ranges } = splitIds(joinIds(expandedFiles), 16);
 */
export function splitIds({ rows, bytes: idBytes, offsets: idOffsets, idHashes: hashes }: { rows: number; bytes: Uint8Array; offsets: Int32Array; idHashes: Int32Array }, buckets: number): { bytes: Uint8Array; ranges: number[] } {
  const bucketOfRow = new Int32Array(rows);
  const counts = new Int32Array(buckets);
  const byteCounts = new Int32Array(buckets);
  for (let row = 0; row < rows; row++) {
    const bucket = (bucketOfRow[row] = bucketOf(hashes[row]!, buckets));
    counts[bucket]!++;
    byteCounts[bucket]! += idOffsets[row + 1]! - idOffsets[row]!;
  }
  const ranges: number[] = [];
  let size = 0;
  for (let bucket = 0; bucket < buckets; bucket++) {
    ranges.push(size, size + (2 + counts[bucket]! * 3) * 4 + byteCounts[bucket]!);
    size = align4(ranges.at(-1)!);
  }
  const file = new Uint8Array(size);
  const words = new Int32Array(file.buffer);
  // Where each bucket's rows, hashes, offsets and bytes start, as word (and byte) indexes into the file.
  const rowsAt = new Int32Array(buckets);
  const bytesAt = new Int32Array(buckets);
  for (let bucket = 0; bucket < buckets; bucket++) {
    const word = ranges[2 * bucket]! >> 2;
    words[word] = counts[bucket]!;
    rowsAt[bucket] = word + 1;
    bytesAt[bucket] = (word + 2 + counts[bucket]! * 3) * 4;
  }
  const filled = new Int32Array(buckets);
  const bytesFilled = new Int32Array(buckets);
  for (let row = 0; row < rows; row++) {
    const bucket = bucketOfRow[row]!;
    const count = counts[bucket]!;
    const at = filled[bucket]!++;
    const start = idOffsets[row]!;
    const end = idOffsets[row + 1]!;
    words[rowsAt[bucket]! + at] = row;
    words[rowsAt[bucket]! + count + at] = hashes[row]!;
    file.set(idBytes.subarray(start, end), bytesAt[bucket]! + bytesFilled[bucket]!);
    bytesFilled[bucket]! += end - start;
    words[rowsAt[bucket]! + 2 * count + at + 1] = bytesFilled[bucket]!;
  }
  return { bytes: file, ranges };
}

const align4 = (length: number) => (length + 3) & ~3;

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
