// hashBytes is MurmurHash3_x86_32 with seed 0: checked against the published SMHasher test values
// (inputs given as bytes, as in that table), so the WebAssembly scan and JS agree with a known hash.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { hashBytes } from '../../src/read/hashBytes.ts';

const hash = (bytes: number[]) => hashBytes(Uint8Array.from(bytes), 0, bytes.length) >>> 0;

test('published MurmurHash3_x86_32 values, seed 0', () => {
  assert.is(hash([]), 0);
  assert.is(hash([0xff, 0xff, 0xff, 0xff]), 0x76293b50);
  assert.is(hash([0x21, 0x43, 0x65, 0x87]), 0xf55b516b);
  assert.is(hash([0x21, 0x43, 0x65]), 0x7e4a8634);
  assert.is(hash([0x21, 0x43]), 0xa0f7b07a);
  assert.is(hash([0x21]), 0x72661cf4);
  assert.is(hash([0, 0, 0, 0]), 0x2362f9de);
  assert.is(hash([0, 0, 0]), 0x85f0b427);
  assert.is(hash([0, 0]), 0x30f4c306);
  assert.is(hash([0]), 0x514e28b7);
  assert.is(hash([...new TextEncoder().encode('hello')]), 0x248bfa47);
});

test('a range inside a larger array hashes as its bytes alone do', () => {
  const bytes = new TextEncoder().encode('xyhelloxyz');
  assert.is(hashBytes(bytes, 2, 7) >>> 0, 0x248bfa47); // 'hello', the published value
  assert.is(hashBytes(Uint8Array.of(0xff, 0x21, 0x43, 0x65, 0xff), 1, 4) >>> 0, 0x7e4a8634); // three tail bytes, published
});

test.run();
