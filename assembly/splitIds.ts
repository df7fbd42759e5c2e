// AssemblyScript, compiled to src/job/queue/splitIds.wasm by `npm run build:wasm`.
//
// Splits a partition's ids into buckets, one file (the loop of src/job/queue/idBuckets.ts's splitIds,
// which writes the input regions `layout` places and reads the file and its ranges back): each
// bucket `[count][rows][hashes][offsets][bytes]`, little-endian int32 words then the bytes, the next
// bucket at a 4-byte boundary. In JavaScript, copying ~36-byte ids one byte at a time into 40-odd
// buckets took ~8 ms a partition of 84k ids; `memory.copy` takes one instruction an id.

// Regions (set by `layout`): inputs, then work arrays, then the file.
let hashes: usize = 0;
let offsets: usize = 0;
let bytes: usize = 0;
let bucketOfRow: usize = 0;
let counts: usize = 0;
let byteCounts: usize = 0;
let filled: usize = 0;
let bytesFilled: usize = 0;
let ranges: usize = 0;
let file: usize = 0;

/**
 * Lays out the regions for `rows` ids of `idBytes` bytes in all, split into `buckets`, after this
 * module's own data. Returns the memory size they need (the caller grows the memory to it); past
 * 4 GiB, no region is set.
 */
export function layout(rows: i32, idBytes: i32, buckets: i32): f64 {
  const column = ((<u64>rows * 4) + 15) & ~15;
  const perBucket = ((<u64>buckets * 4) + 15) & ~15;
  const hashesAt: u64 = (<u64>__heap_base + 15) & ~15;
  const offsetsAt = hashesAt + column;
  const bytesAt = offsetsAt + column + 16;
  const bucketOfRowAt = bytesAt + ((<u64>idBytes + 15) & ~15);
  const countsAt = bucketOfRowAt + column;
  const byteCountsAt = countsAt + perBucket;
  const filledAt = byteCountsAt + perBucket;
  const bytesFilledAt = filledAt + perBucket;
  const rangesAt = bytesFilledAt + perBucket;
  const fileAt = rangesAt + perBucket * 2;
  // The largest the file can be: two words a bucket, three an id, the bytes, and 3 bytes of padding a bucket.
  const end = fileAt + <u64>buckets * 11 + <u64>rows * 12 + <u64>idBytes;
  if (end > 0xffff0000) return <f64>end;
  hashes = <usize>hashesAt; offsets = <usize>offsetsAt; bytes = <usize>bytesAt; bucketOfRow = <usize>bucketOfRowAt;
  counts = <usize>countsAt; byteCounts = <usize>byteCountsAt; filled = <usize>filledAt; bytesFilled = <usize>bytesFilledAt;
  ranges = <usize>rangesAt; file = <usize>fileAt;
  return <f64>end;
}

/** Where each region starts, for the caller's views: 0 hashes, 1 offsets (from 0), 2 bytes, 3 ranges, 4 the file. */
export function region(index: i32): usize {
  switch (index) {
    case 0: return hashes;
    case 1: return offsets;
    case 2: return bytes;
    case 3: return ranges;
    case 4: return file;
    default: return 0;
  }
}

/**
 * The bucket of an id hash: the high bits of a mix of all of its bits, scaled (the dedup set indexes by
 * the low bits, so ids of one bucket still spread over its slots).
 */
function bucketOf(hash: u32, buckets: i32): i32 {
  const mixed: u32 = (hash ^ (hash >> 15)) * 0x2c1b3c6d;
  return <i32>((<u64>mixed * <u64>buckets) >> 32);
}

/** Writes the file of `rows` ids in `buckets`; returns its length (`ranges`: start and end of each bucket). */
export function split(rows: i32, buckets: i32): i32 {
  memory.fill(counts, 0, <usize>buckets << 2);
  memory.fill(byteCounts, 0, <usize>buckets << 2);
  memory.fill(filled, 0, <usize>buckets << 2);
  memory.fill(bytesFilled, 0, <usize>buckets << 2);
  for (let row: i32 = 0; row < rows; row++) {
    const bucket = bucketOf(load<u32>(hashes + (<usize>row << 2)), buckets);
    store<i32>(bucketOfRow + (<usize>row << 2), bucket);
    const at = <usize>bucket << 2;
    store<i32>(counts + at, load<i32>(counts + at) + 1);
    const length = load<i32>(offsets + (<usize>(row + 1) << 2)) - load<i32>(offsets + (<usize>row << 2));
    store<i32>(byteCounts + at, load<i32>(byteCounts + at) + length);
  }
  let size: i32 = 0;
  for (let bucket: i32 = 0; bucket < buckets; bucket++) {
    const count = load<i32>(counts + (<usize>bucket << 2));
    const end = size + (2 + count * 3) * 4 + load<i32>(byteCounts + (<usize>bucket << 2));
    store<i32>(ranges + (<usize>bucket << 3), size);
    store<i32>(ranges + (<usize>bucket << 3), end, 4);
    size = (end + 3) & ~3;
  }
  memory.fill(file, 0, <usize>size); // padding included: the file's bytes do not depend on the memory's past
  for (let bucket: i32 = 0; bucket < buckets; bucket++) {
    store<i32>(file + <usize>load<i32>(ranges + (<usize>bucket << 3)), load<i32>(counts + (<usize>bucket << 2)));
  }
  for (let row: i32 = 0; row < rows; row++) {
    const bucket = load<i32>(bucketOfRow + (<usize>row << 2));
    const count = load<i32>(counts + (<usize>bucket << 2));
    const at = load<i32>(filled + (<usize>bucket << 2));
    store<i32>(filled + (<usize>bucket << 2), at + 1);
    const rowsAt = file + <usize>load<i32>(ranges + (<usize>bucket << 3)) + 4;
    store<i32>(rowsAt + (<usize>at << 2), row);
    store<i32>(rowsAt + (<usize>(count + at) << 2), load<i32>(hashes + (<usize>row << 2)));
    const start = load<i32>(offsets + (<usize>row << 2));
    const length = load<i32>(offsets + (<usize>(row + 1) << 2)) - start;
    const copied = load<i32>(bytesFilled + (<usize>bucket << 2));
    memory.copy(rowsAt + 4 + (<usize>count * 12) + <usize>copied, bytes + <usize>start, <usize>length);
    store<i32>(bytesFilled + (<usize>bucket << 2), copied + length);
    store<i32>(rowsAt + (<usize>(2 * count + at + 1) << 2), copied + length);
  }
  return size;
}
