// CRC-64/NVME written from its definition (reflected, polynomial 0xad93d23594c93659, initial value and
// final XOR all ones; check value of "123456789": 0xae8b14860a799888), a byte at a time on two 32-bit
// halves: shares no code with src/s3/crc64Nvme.ts, whose results the fault proxy's checksums check.

const POLYNOMIAL = 0x9a6c9329ac4bc9b5n; // reversed
const HIGH = new Uint32Array(256);
const LOW = new Uint32Array(256);
for (let byte = 0; byte < 256; byte++) {
  let crc = BigInt(byte);
  for (let bit = 0; bit < 8; bit++) crc = crc & 1n ? (crc >> 1n) ^ POLYNOMIAL : crc >> 1n;
  HIGH[byte] = Number(crc >> 32n);
  LOW[byte] = Number(crc & 0xffffffffn);
}

/** The CRC-64/NVME of `bytes`, 8 bytes big-endian, as S3 sends it (base64) in `x-amz-checksum-crc64nvme`. */
export function crc64nvme(bytes: Uint8Array): Uint8Array {
  let high = 0xffffffff;
  let low = 0xffffffff;
  for (let at = 0; at < bytes.length; at++) {
    const index = (low ^ bytes[at]!) & 0xff;
    low = ((low >>> 8) | ((high & 0xff) << 24)) ^ LOW[index]!;
    high = (high >>> 8) ^ HIGH[index]!;
  }
  const out = new Uint8Array(8);
  const view = new DataView(out.buffer);
  view.setUint32(0, (high ^ 0xffffffff) >>> 0);
  view.setUint32(4, (low ^ 0xffffffff) >>> 0);
  return out;
}
