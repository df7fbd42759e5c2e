// The WebAssembly CRC-64/NVME against one written from its definition (test/support/crc64nvme.ts), on
// lengths around its lanes' and input region's edges, fed whole and in random pieces.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Crc64Nvme } from '../../src/s3/crc64Nvme.ts';
import { crc64nvme } from '../support/crc64nvme.ts';
import { seededRandom } from '../support/random.ts';

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
const MIB = 1 << 20;

test('the check value of "123456789" is 0xae8b14860a799888', async () => {
  const crc = new Crc64Nvme();
  crc.update(new TextEncoder().encode('123456789'));
  assert.is(hex(await crc.digest()), 'ae8b14860a799888');
});

test('every length around a lane\'s and the input region\'s edges, whole and in random pieces', async () => {
  const random = seededRandom(64);
  const lengths = [0, 1, 7, 8, 9, 255, 256, 257, 263, 264, 511, 512, 1000, 4096 + 3, 65_536, 65_536 + 13, MIB - 1, MIB, MIB + 5, 3 * MIB + 77];
  for (const length of lengths) {
    const bytes = new Uint8Array(length);
    for (let at = 0; at < length; at++) bytes[at] = random.int(256);
    const expected = hex(crc64nvme(bytes));
    const whole = new Crc64Nvme();
    whole.update(bytes);
    assert.is(hex(await whole.digest()), expected, `${length} bytes whole`);
    const pieces = new Crc64Nvme();
    for (let at = 0; at < length;) {
      const size = 1 + random.int(random.chance(0.5) ? 300 : 70_000);
      pieces.update(bytes.subarray(at, at + size));
      at += size;
    }
    assert.is(hex(await pieces.digest()), expected, `${length} bytes in pieces`);
  }
});

test('reset starts over', async () => {
  const crc = new Crc64Nvme();
  crc.update(new Uint8Array(5000).fill(7));
  crc.reset();
  const bytes = new Uint8Array(9000).fill(3);
  crc.update(bytes);
  assert.is(hex(await crc.digest()), hex(crc64nvme(bytes)));
});

test.run();
