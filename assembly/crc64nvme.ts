// AssemblyScript, compiled to src/s3/crc64nvme.wasm by `npm run build:wasm`.
//
// CRC-64/NVME, the checksum S3 stores for every object (x-amz-checksum-crc64nvme): reflected, polynomial
// 0xad93d23594c93659 (0x9a6c9329ac4bc9b5 reversed), initial value and final XOR all ones. Eight bytes a
// step, "slicing by 8": eight 256-entry tables of u64, table k giving a byte's effect k bytes ahead, so
// one step is one 8-byte load, eight lookups and XORs (sixteen tables no longer fit the L1 cache: slower).
// The caller copies a chunk to `input` and calls `update`.

const POLYNOMIAL: u64 = 0x9a6c9329ac4bc9b5;

// Regions: the tables (8 x 256 u64), then the input of `inputBytes`.
let tables: usize = 0;
let input: usize = 0;

/** Builds the tables and lays out an input region of `inputBytes`; returns where the input starts. */
export function layout(inputBytes: u32): usize {
  tables = (__heap_base + 7) & ~7;
  input = tables + 8 * 256 * 8;
  const needed = input + <usize>inputBytes;
  const pages = <i32>((needed + 0xffff) >> 16) - memory.size();
  if (pages > 0) memory.grow(pages);
  for (let byte: u32 = 0; byte < 256; byte++) {
    let crc = <u64>byte;
    for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? (crc >> 1) ^ POLYNOMIAL : crc >> 1;
    store<u64>(tables + (<usize>byte << 3), crc);
  }
  for (let slice: usize = 1; slice < 8; slice++) {
    for (let byte: usize = 0; byte < 256; byte++) {
      const previous = load<u64>(tables + ((slice - 1) << 11) + (byte << 3));
      store<u64>(tables + (slice << 11) + (byte << 3), (previous >> 8) ^ load<u64>(tables + (<usize>(previous & 0xff) << 3)));
    }
  }
  return input;
}

// @ts-ignore: decorator
@inline function lookup(slice: usize, index: u64): u64 {
  return load<u64>(tables + (slice << 11) + (<usize>(index & 0xff) << 3));
}

/** The CRC register after `length` bytes of the input region (the register as the previous update left it). */
export function update(crc: u64, length: usize): u64 {
  let at = input;
  const end = input + length;
  for (; at + 8 <= end; at += 8) {
    const value = crc ^ load<u64>(at);
    crc = lookup(7, value) ^ lookup(6, value >> 8) ^ lookup(5, value >> 16) ^ lookup(4, value >> 24)
      ^ lookup(3, value >> 32) ^ lookup(2, value >> 40) ^ lookup(1, value >> 48) ^ lookup(0, value >> 56);
  }
  for (; at < end; at++) crc = (crc >> 8) ^ lookup(0, crc ^ <u64>load<u8>(at));
  return crc;
}
