// The ids a read task splits into buckets, one file per partition: every row lands in exactly one
// bucket, in row order, with its row, hash and bytes; copies of one id land in one bucket, as the
// dedup tasks need; empty buckets are there too.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { decodeIdBucket, splitIds } from '../../../src/job/queue/idBuckets.ts';
import { bucketsFor, INPUT_BYTES_PER_BUCKET } from '../../../src/job/queue/runQueuedJob.ts';
import { hashBytes } from '../../../src/read/hashBytes.ts';
import { seededRandom } from '../../support/random.ts';

function idColumn(ids: string[]) {
  const encoded = ids.map((id) => new TextEncoder().encode(id));
  const offsets = new Int32Array(ids.length + 1);
  encoded.forEach((bytes, row) => (offsets[row + 1] = offsets[row]! + bytes.length));
  const bytes = new Uint8Array(offsets[ids.length]!);
  encoded.forEach((id, row) => bytes.set(id, offsets[row]!));
  const idHashes = Int32Array.from(ids, (_, row) => hashBytes(bytes, offsets[row]!, offsets[row + 1]!));
  return { rows: ids.length, bytes, offsets, idHashes };
}

for (const buckets of [1, 7, 64]) {
  test(`1,000 ids of 1 to 60 bytes in ${buckets} bucket(s): each in its bucket, in row order, bytes intact`, () => {
    const random = seededRandom(buckets);
    // 400 distinct ids of 1 to 60 bytes, multi-byte included; 1,000 rows, so most ids come several times.
    const distinct = Array.from({ length: 400 }, (_, index) => `${index}-${'é'.repeat(random.int(20))}${'x'.repeat(random.int(20))}`);
    const ids = Array.from({ length: 1000 }, () => random.pick(distinct));
    const column = idColumn(ids);
    const { bytes, ranges } = splitIds(column, buckets);
    assert.is(ranges.length, 2 * buckets);
    const seen: number[] = [];
    const bucketOfId = new Map<string, number>();
    for (let bucket = 0; bucket < buckets; bucket++) {
      const part = decodeIdBucket(bytes.slice(ranges[2 * bucket], ranges[2 * bucket + 1]));
      const rows = [...part.rows];
      assert.equal(rows, [...rows].sort((a, b) => a - b), 'row order');
      rows.forEach((row, at) => {
        assert.is(part.hashes[at], column.idHashes[row]);
        assert.is(new TextDecoder().decode(part.bytes.subarray(part.offsets[at], part.offsets[at + 1])), ids[row]);
        assert.is(bucketOfId.get(ids[row]!) ?? bucket, bucket, `every copy of ${ids[row]} in one bucket`);
        bucketOfId.set(ids[row]!, bucket);
      });
      seen.push(...rows);
    }
    assert.equal(seen.sort((a, b) => a - b), ids.map((_, row) => row), 'every row once');
    if (buckets > 1) assert.ok(new Set(bucketOfId.values()).size > 1, 'the ids spread over buckets');
  });
}

test('ids whose column starts inside a larger one, split after a larger partition: the bytes of a split of their own', () => {
  const ids = Array.from({ length: 300 }, (_, row) => `id-${row % 250}`);
  const column = idColumn(['first', 'second', ...ids]);
  const inside = { rows: 300, bytes: column.bytes, offsets: column.offsets.subarray(2), idHashes: column.idHashes.subarray(2) };
  const alone = splitIds(idColumn(ids), 7);
  splitIds(idColumn(Array.from({ length: 5_000 }, (_, row) => `a much longer id, number ${row}`)), 7); // leaves its bytes in the memory
  const again = splitIds(inside, 7);
  assert.equal(again.ranges, alone.ranges);
  assert.ok(Buffer.from(again.bytes).equals(alone.bytes), 'the same file');
});

test('no ids: every bucket is there, empty', () => {
  const { bytes, ranges } = splitIds(idColumn([]), 4);
  for (let bucket = 0; bucket < 4; bucket++) assert.is(decodeIdBucket(bytes.slice(ranges[2 * bucket], ranges[2 * bucket + 1])).rows.length, 0);
});

test('buckets follow the listed input: one per 176 MiB, at least 4; 16 when sizes are unknown', () => {
  assert.is(INPUT_BYTES_PER_BUCKET, 176 * 2 ** 20);
  assert.equal([0, 100e6, 4 * INPUT_BYTES_PER_BUCKET, 4 * INPUT_BYTES_PER_BUCKET + 1, 6.6e9, 2e12].map(bucketsFor), [4, 4, 4, 5, 36, 10838]);
  assert.is(bucketsFor(undefined), 16);
});

test.run();
