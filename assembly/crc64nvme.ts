// AssemblyScript, compiled to src/s3/crc64nvme.wasm by `npm run build:wasm`.
//
// CRC-64/NVME, the checksum S3 stores for every object (x-amz-checksum-crc64nvme): reflected, polynomial
// 0xad93d23594c93659 (0x9a6c9329ac4bc9b5 reversed), initial value and final XOR all ones. Eight bytes a
// step, "slicing by 8": eight 256-entry tables of u64, table k giving a byte's effect k bytes ahead, so
// one step is one 8-byte load, eight lookups and XORs (sixteen tables no longer fit the L1 cache: slower).
// A step waits on the one before, so a long input is cut in four lanes stepped side by side, their
// registers joined after: the register is linear in its input, so the register after A then B is the
// one after A moved past |B| zero bytes (a product with x^(8|B|) mod P), XOR B's own from zero.
// The caller copies a chunk to `input` and calls `update`.

const POLYNOMIAL: u64 = 0x9a6c9329ac4bc9b5;

// Regions: the tables (8 x 256 u64) at a fixed address past the module's own data (so that a lookup's
// table is the load's constant offset), then the input of `inputBytes`.
const TABLES: usize = 1 << 16;
let input: usize = 0;

/** Builds the tables and lays out an input region of `inputBytes`; returns where the input starts. */
export function layout(inputBytes: u32): usize {
  if (__heap_base > TABLES) unreachable();
  input = TABLES + 8 * 256 * 8;
  const needed = input + <usize>inputBytes;
  const pages = <i32>((needed + 0xffff) >> 16) - memory.size();
  if (pages > 0) memory.grow(pages);
  for (let byte: u32 = 0; byte < 256; byte++) {
    let crc = <u64>byte;
    for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? (crc >> 1) ^ POLYNOMIAL : crc >> 1;
    store<u64>(TABLES + (<usize>byte << 3), crc);
  }
  for (let slice: usize = 1; slice < 8; slice++) {
    for (let byte: usize = 0; byte < 256; byte++) {
      const previous = load<u64>(TABLES + ((slice - 1) << 11) + (byte << 3));
      store<u64>(TABLES + (slice << 11) + (byte << 3), (previous >> 8) ^ load<u64>(TABLES + (<usize>(previous & 0xff) << 3)));
    }
  }
  return input;
}

/** The CRC register after `length` bytes of the input region (the register as the previous update left it). */
export function update(crc: u64, length: usize): u64 {
  let at = input;
  const end = input + length;
  const lane = (length >> 5) << 3; // a quarter, in whole steps
  if (lane >= MIN_LANE) {
    let a = crc, b: u64 = 0, c: u64 = 0, d: u64 = 0;
    for (const laneEnd = at + lane; at < laneEnd; at += 8) {
      a = step(a ^ load<u64>(at));
      b = step(b ^ load<u64>(at + lane));
      c = step(c ^ load<u64>(at + 2 * lane));
      d = step(d ^ load<u64>(at + 3 * lane));
    }
    const past = pastZeros(lane);
    crc = multiply(past, multiply(past, multiply(past, a) ^ b) ^ c) ^ d;
    at = input + 4 * lane;
  }
  for (; at + 8 <= end; at += 8) crc = step(crc ^ load<u64>(at));
  for (; at < end; at++) crc = (crc >> 8) ^ load<u64>(<usize>((crc ^ <u64>load<u8>(at)) & 0xff) << 3, TABLES);
  return crc;
}

/** Lanes shorter than this are not worth joining. */
const MIN_LANE: usize = 64;

// One step: each of the value's bytes looked up in the table for its distance ahead, the table's address
// the load's constant offset.
// @ts-ignore: decorator
@inline function step(value: u64): u64 {
  return load<u64>(<usize>(value & 0xff) << 3, TABLES + 7 * 2048)
    ^ load<u64>(<usize>((value >> 8) & 0xff) << 3, TABLES + 6 * 2048)
    ^ load<u64>(<usize>((value >> 16) & 0xff) << 3, TABLES + 5 * 2048)
    ^ load<u64>(<usize>((value >> 24) & 0xff) << 3, TABLES + 4 * 2048)
    ^ load<u64>(<usize>((value >> 32) & 0xff) << 3, TABLES + 3 * 2048)
    ^ load<u64>(<usize>((value >> 40) & 0xff) << 3, TABLES + 2 * 2048)
    ^ load<u64>(<usize>((value >> 48) & 0xff) << 3, TABLES + 2048)
    ^ load<u64>(<usize>((value >> 56) & 0xff) << 3, TABLES);
}

/** a * b mod P, reflected (bit 63 is x^0), as zlib's multmodp. */
function multiply(a: u64, b: u64): u64 {
  let product: u64 = 0;
  for (let mask: u64 = 1 << 63; mask != 0; mask >>= 1) {
    if (a & mask) product ^= b;
    b = b & 1 ? (b >> 1) ^ POLYNOMIAL : b >> 1;
  }
  return product;
}

let pastLength: usize = 0;
let pastFactor: u64 = 0;

/** x^(8 * bytes) mod P: a register's move past `bytes` zero bytes (the last length's kept). */
function pastZeros(bytes: usize): u64 {
  if (bytes == pastLength) return pastFactor;
  let factor: u64 = 1 << 63; // x^0
  let square: u64 = 1 << 62; // x^1, squared at each bit of the exponent
  for (let exponent = <u64>bytes << 3; exponent != 0; exponent >>= 1) {
    if (exponent & 1) factor = multiply(square, factor);
    square = multiply(square, square);
  }
  pastLength = bytes;
  pastFactor = factor;
  return factor;
}
