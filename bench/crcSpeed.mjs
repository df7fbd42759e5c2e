// CRC-64/NVME speed of WebAssembly modules built from assembly/crc64nvme.ts (this one and, to compare,
// one built from an earlier version), side by side in one process: 64 MiB in chunks, 4 rounds, and
// whether they agree.
//   node bench/crcSpeed.mjs [CHUNK_BYTES] MODULE.wasm [OTHER.wasm ...]
//   e.g. node bench/crcSpeed.mjs 65536 src/s3/crc64nvme.wasm /tmp/crc64nvme-before.wasm
import { readFileSync } from 'node:fs';

const [chunkArgument, ...paths] = process.argv.slice(2);
const CHUNK = Number(chunkArgument);
const modules = paths.map((path) => [path, new WebAssembly.Instance(new WebAssembly.Module(readFileSync(path)), {}).exports]);
const data = new Uint8Array(64 << 20);
for (let at = 0; at < data.length; at++) data[at] = (at * 2654435761) >>> 24;
for (let round = 0; round < 4; round++) {
  const line = [];
  const results = [];
  for (const [path, crc64] of modules) {
    const input = crc64.layout(1 << 20);
    const started = performance.now();
    let crc = 0xffffffffffffffffn;
    for (let at = 0; at < data.length; at += CHUNK) {
      const part = data.subarray(at, at + CHUNK);
      new Uint8Array(crc64.memory.buffer, input, part.length).set(part);
      crc = crc64.update(crc, part.length);
    }
    results.push(crc);
    line.push(`${path} ${(64 / ((performance.now() - started) / 1000)).toFixed(0)} MiB/s`);
  }
  console.log(line.join(', '), results.every((crc) => crc === results[0]) ? '(equal)' : '(DIFFERENT)');
}
