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
  return (Math.imul(hash ^ (hash >>> 15), 0x2c1b3c6d) >>> 0) % buckets;
}

/**
 * Splits a partition's ids (`bytes`, `offsets`, `idHashes`, in row order) into `buckets` files, each
 * `[count][rows][hashes][offsets][bytes]` as little-endian int32 words then the bytes.
 *
 * @example
 * const files = splitIds(joinIds(expandedFiles), 16); // files[b] for bucket b
 */
export function splitIds({ rows, bytes: idBytes, offsets: idOffsets, idHashes: hashes }: { rows: number; bytes: Uint8Array; offsets: Int32Array; idHashes: Int32Array }, buckets: number): Uint8Array[] {
  const bucketOfRow = new Int32Array(rows);
  const counts = new Int32Array(buckets);
  const byteCounts = new Int32Array(buckets);
  for (let row = 0; row < rows; row++) {
    const bucket = (bucketOfRow[row] = bucketOf(hashes[row]!, buckets));
    counts[bucket]!++;
    byteCounts[bucket]! += idOffsets[row + 1]! - idOffsets[row]!;
  }
  const files = Array.from(counts, (count, bucket) => encodeIdBucketShell(count, byteCounts[bucket]!));
  const filled = new Int32Array(buckets);
  const bytesFilled = new Int32Array(buckets);
  for (let row = 0; row < rows; row++) {
    const bucket = bucketOfRow[row]!;
    const file = files[bucket]!;
    const at = filled[bucket]!++;
    const start = idOffsets[row]!;
    const end = idOffsets[row + 1]!;
    file.rows[at] = row;
    file.hashes[at] = hashes[row]!;
    let to = bytesFilled[bucket]!;
    for (let byte = start; byte < end; byte++) file.bytes[to++] = idBytes[byte]!; // ids are short: a subarray each cost more
    bytesFilled[bucket] = to;
    file.offsets[at + 1] = to;
  }
  return files.map((file) => file.encoded);
}

/** A bucket file of `count` ids and `byteCount` id bytes, with views to fill it in place. */
function encodeIdBucketShell(count: number, byteCount: number): IdBucket & { encoded: Uint8Array } {
  const words = 1 + count * 3 + 1;
  const encoded = new Uint8Array(words * 4 + byteCount);
  new Int32Array(encoded.buffer, 0, 1)[0] = count;
  return { encoded, ...viewsOf(encoded, count) };
}

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
 * The buckets of {@link splitIds} one after another in one file, and where each is in it (`ranges[2b]`
 * to `ranges[2b + 1]`, bytes, end exclusive): a dedup task reads its bucket's share of each partition
 * by range, and the work location holds one ids file per partition, not one per bucket.
 *
 * @example
 * const { bytes, ranges } = joinBuckets(splitIds(events, 16));
 */
export function joinBuckets(files: Uint8Array[]): { bytes: Uint8Array; ranges: number[] } {
  const bytes = new Uint8Array(files.reduce((sum, file) => sum + align4(file.length), 0));
  const ranges: number[] = [];
  let at = 0;
  for (const file of files) {
    bytes.set(file, at);
    ranges.push(at, at + file.length);
    at += align4(file.length);
  }
  return { bytes, ranges };
}

const align4 = (length: number) => (length + 3) & ~3;

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
