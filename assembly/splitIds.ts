// AssemblyScript, compiled to src/metrics/splitIds.wasm by `npm run build:wasm`.
//
// Splits a partition's ids into buckets, one file (the loop of src/metrics/idBuckets.ts's splitIds,
// which writes the input regions `layout` places and reads the file and its ranges back). Each bucket,
// at a 4-byte boundary: three little-endian int32 words (ids, bytes of row steps, bytes of lengths),
// the ids' hashes (int32), each id's row as its step from the bucket's last one (LEB128), each id's
// length (LEB128), then the ids' bytes. A canonical UUID (36 bytes, lowercase hex) is written as 0xFE
// and its 16 bytes; an id that starts with 0xFE or 0xFF (never valid UTF-8) gets a 0xFF in front: two
// ids are equal exactly when their encodings are. ~23 bytes an id of the data sets seen, not 48.
// In JavaScript, copying ~36-byte ids one byte at a time into 40-odd buckets took ~8 ms a partition
// of 84k ids; here, `memory.copy` takes one instruction an id, and a UUID is checked and packed with SIMD
// (byte by byte, that took ~300 ns an id).

// Regions (set by `layout`): inputs, then work arrays, then the file.
let hashes: usize = 0;
let offsets: usize = 0;
let bytes: usize = 0;
let bucketOfRow: usize = 0;
let encodedLength: usize = 0;
let counts: usize = 0;
let stepBytes: usize = 0;
let lengthBytes: usize = 0;
let dataBytes: usize = 0;
let lastRow: usize = 0;
// Where each bucket's next hash, row step, length and bytes go, in the file (second pass).
let nextHash: usize = 0;
let nextStep: usize = 0;
let nextLength: usize = 0;
let nextData: usize = 0;
let ranges: usize = 0;
let file: usize = 0;

const UUID_TAG: u8 = 0xfe;
const ESCAPE: u8 = 0xff;

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
  const encodedLengthAt = bucketOfRowAt + column;
  const countsAt = encodedLengthAt + column;
  const stepBytesAt = countsAt + perBucket;
  const lengthBytesAt = stepBytesAt + perBucket;
  const dataBytesAt = lengthBytesAt + perBucket;
  const lastRowAt = dataBytesAt + perBucket;
  const nextHashAt = lastRowAt + perBucket;
  const nextStepAt = nextHashAt + perBucket;
  const nextLengthAt = nextStepAt + perBucket;
  const nextDataAt = nextLengthAt + perBucket;
  const rangesAt = nextDataAt + perBucket;
  const fileAt = rangesAt + perBucket * 2;
  // The largest the file can be: 3 words and 3 bytes of padding a bucket; a hash, 5 bytes of row
  // step, 5 of length and one of escape an id; the bytes.
  const end = fileAt + <u64>buckets * 15 + <u64>rows * 15 + <u64>idBytes;
  if (end > 0xffff0000) return <f64>end;
  hashes = <usize>hashesAt; offsets = <usize>offsetsAt; bytes = <usize>bytesAt; bucketOfRow = <usize>bucketOfRowAt;
  encodedLength = <usize>encodedLengthAt; counts = <usize>countsAt; stepBytes = <usize>stepBytesAt; lengthBytes = <usize>lengthBytesAt;
  dataBytes = <usize>dataBytesAt; lastRow = <usize>lastRowAt; ranges = <usize>rangesAt; file = <usize>fileAt;
  nextHash = <usize>nextHashAt; nextStep = <usize>nextStepAt; nextLength = <usize>nextLengthAt; nextData = <usize>nextDataAt;
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

/** Bytes of `value` (0 or more) as LEB128. */
function varintSize(value: u32): i32 {
  let size = 1;
  while (value >= 0x80) {
    value >>= 7;
    size++;
  }
  return size;
}

/** Writes `value` as LEB128 at `at`; returns where the next byte goes. */
function writeVarint(at: usize, value: u32): usize {
  while (value >= 0x80) {
    store<u8>(at++, <u8>(value & 0x7f) | 0x80);
    value >>= 7;
  }
  store<u8>(at++, <u8>value);
  return at;
}

// A UUID's 32 hex digits, gathered from its 36 bytes (hyphens at 8, 13, 18 and 23) into two vectors.
@inline function firstDigits(at: usize): v128 {
  return i8x16.shuffle(v128.load(at), v128.load(at, 16), 0, 1, 2, 3, 4, 5, 6, 7, 9, 10, 11, 12, 14, 15, 16, 17);
}

@inline function lastDigits(at: usize): v128 {
  return i8x16.shuffle(v128.load(at, 16), v128.load(at, 20), 3, 4, 5, 6, 8, 9, 10, 11, 12, 13, 14, 15, 28, 29, 30, 31);
}

/** Lanes that hold 0-9 or a-f. */
@inline function hexLanes(digits: v128): v128 {
  return v128.or(i8x16.lt_u(i8x16.sub(digits, i8x16.splat(48)), i8x16.splat(10)), i8x16.lt_u(i8x16.sub(digits, i8x16.splat(97)), i8x16.splat(6)));
}

/** Whether the 36 bytes at `at` are a UUID in its canonical form: hex digits 8-4-4-4-12, lowercase. */
function isUuid(at: usize): bool {
  if (load<u8>(at, 8) != 45 || load<u8>(at, 13) != 45 || load<u8>(at, 18) != 45 || load<u8>(at, 23) != 45) return false;
  return i8x16.all_true(v128.and(hexLanes(firstDigits(at)), hexLanes(lastDigits(at))));
}

/** Pairs of hex digits (lowercase, checked) as the 8 bytes they spell, in the low half of each 16-bit lane. */
@inline function pairs(digits: v128): v128 {
  const digit = i8x16.sub(digits, i8x16.splat(48));
  const nibbles = v128.bitselect(digit, i8x16.sub(digits, i8x16.splat(87)), i8x16.lt_u(digit, i8x16.splat(10)));
  return v128.or(v128.and(i16x8.shl(nibbles, 4), i16x8.splat(0xf0)), i16x8.shr_u(nibbles, 8));
}

/** Writes the 16 bytes of the canonical UUID at `from` to `to`. */
function packUuid(from: usize, to: usize): void {
  v128.store(to, i8x16.narrow_i16x8_u(pairs(firstDigits(from)), pairs(lastDigits(from))));
}

/** Writes the file of `rows` ids in `buckets`; returns its length (`ranges`: start and end of each bucket). */
export function split(rows: i32, buckets: i32): i32 {
  const perBucket = <usize>buckets << 2;
  memory.fill(counts, 0, perBucket);
  memory.fill(stepBytes, 0, perBucket);
  memory.fill(lengthBytes, 0, perBucket);
  memory.fill(dataBytes, 0, perBucket);
  memory.fill(lastRow, 0, perBucket);
  for (let row: i32 = 0; row < rows; row++) {
    const bucket = bucketOf(load<u32>(hashes + (<usize>row << 2)), buckets);
    store<i32>(bucketOfRow + (<usize>row << 2), bucket);
    const start = load<i32>(offsets + (<usize>row << 2));
    const length = load<i32>(offsets + (<usize>(row + 1) << 2)) - start;
    const encoded = length == 36 && isUuid(bytes + <usize>start) ? 17 : length > 0 && load<u8>(bytes + <usize>start) >= UUID_TAG ? length + 1 : length;
    store<i32>(encodedLength + (<usize>row << 2), encoded);
    const at = <usize>bucket << 2;
    store<i32>(counts + at, load<i32>(counts + at) + 1);
    store<i32>(stepBytes + at, load<i32>(stepBytes + at) + varintSize(<u32>(row - load<i32>(lastRow + at))));
    store<i32>(lastRow + at, row);
    store<i32>(lengthBytes + at, load<i32>(lengthBytes + at) + varintSize(<u32>encoded));
    store<i32>(dataBytes + at, load<i32>(dataBytes + at) + encoded);
  }
  let size: i32 = 0;
  for (let bucket: i32 = 0; bucket < buckets; bucket++) {
    const at = <usize>bucket << 2;
    const end = size + 12 + load<i32>(counts + at) * 4 + load<i32>(stepBytes + at) + load<i32>(lengthBytes + at) + load<i32>(dataBytes + at);
    store<i32>(ranges + (<usize>bucket << 3), size);
    store<i32>(ranges + (<usize>bucket << 3), end, 4);
    size = (end + 3) & ~3;
  }
  memory.fill(file, 0, <usize>size); // padding included: the file's bytes do not depend on the memory's past
  for (let bucket: i32 = 0; bucket < buckets; bucket++) {
    const at = <usize>bucket << 2;
    const base = file + <usize>load<i32>(ranges + (<usize>bucket << 3));
    const count = load<i32>(counts + at);
    const steps = load<i32>(stepBytes + at);
    const lengths = load<i32>(lengthBytes + at);
    store<i32>(base, count);
    store<i32>(base, steps, 4);
    store<i32>(base, lengths, 8);
    const hashesAt = base + 12;
    const stepsAt = hashesAt + (<usize>count << 2);
    const lengthsAt = stepsAt + <usize>steps;
    store<i32>(nextHash + at, <i32>hashesAt);
    store<i32>(nextStep + at, <i32>stepsAt);
    store<i32>(nextLength + at, <i32>lengthsAt);
    store<i32>(nextData + at, <i32>(lengthsAt + <usize>lengths));
  }
  memory.fill(lastRow, 0, perBucket);
  for (let row: i32 = 0; row < rows; row++) {
    const at = <usize>load<i32>(bucketOfRow + (<usize>row << 2)) << 2;
    const hashAt = <usize>load<i32>(nextHash + at);
    store<i32>(hashAt, load<i32>(hashes + (<usize>row << 2)));
    store<i32>(nextHash + at, <i32>(hashAt + 4));
    store<i32>(nextStep + at, <i32>writeVarint(<usize>load<i32>(nextStep + at), <u32>(row - load<i32>(lastRow + at))));
    store<i32>(lastRow + at, row);
    const encoded = load<i32>(encodedLength + (<usize>row << 2));
    store<i32>(nextLength + at, <i32>writeVarint(<usize>load<i32>(nextLength + at), <u32>encoded));
    const start = bytes + <usize>load<i32>(offsets + (<usize>row << 2));
    const length = load<i32>(offsets + (<usize>(row + 1) << 2)) - load<i32>(offsets + (<usize>row << 2));
    const dataAt = <usize>load<i32>(nextData + at);
    if (encoded == 17 && length == 36) {
      store<u8>(dataAt, UUID_TAG);
      packUuid(start, dataAt + 1);
    } else if (encoded != length) {
      store<u8>(dataAt, ESCAPE);
      memory.copy(dataAt + 1, start, <usize>length);
    } else {
      memory.copy(dataAt, start, <usize>length);
    }
    store<i32>(nextData + at, <i32>(dataAt + <usize>encoded));
  }
  return size;
}
