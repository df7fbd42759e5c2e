// The ids a read task splits into buckets, one file per partition: every row lands in exactly one
// bucket, in row order, with its row, hash and bytes (a canonical UUID packed in 17); copies of one id
// land in one bucket, as the dedup tasks need; two ids' encodings are equal exactly when the ids are;
// empty buckets are there too.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { decodeIdBucket, splitIds } from '../../src/metrics/idBuckets.ts';
import { bucketsFor } from '../../src/job/tasks/runInTasks.ts';
import { QUEUE_TASK_SIZES } from '../../src/job/memoryBudget.ts';
import { hashBytes } from '../../src/read/hashBytes.ts';
import { seededRandom } from '../support/random.ts';

function idColumn(ids: (string | Uint8Array)[]) {
  const encoded = ids.map((id) => (typeof id === 'string' ? new TextEncoder().encode(id) : id));
  const offsets = new Int32Array(ids.length + 1);
  encoded.forEach((bytes, row) => (offsets[row + 1] = offsets[row]! + bytes.length));
  const bytes = new Uint8Array(offsets[ids.length]!);
  encoded.forEach((id, row) => bytes.set(id, offsets[row]!));
  const idHashes = Int32Array.from(ids, (_, row) => hashBytes(bytes, offsets[row]!, offsets[row + 1]!));
  return { rows: ids.length, idBytes: bytes, idOffsets: offsets, idHashes };
}

/** An id back from its encoding, written here from the format's description: 0xFE and 16 bytes, a UUID; 0xFF, escaped. */
function decodeId(encoded: Uint8Array): Uint8Array {
  if (encoded[0] === 0xfe && encoded.length === 17) {
    const hex = Buffer.from(encoded.subarray(1)).toString('hex');
    return new TextEncoder().encode(`${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`);
  }
  return encoded[0] === 0xff ? encoded.subarray(1) : encoded;
}

/** Every id of `column` as its bucket gives it back (encoded), by row. */
function splitAndRead(column: ReturnType<typeof idColumn>, buckets: number): { encoded: Uint8Array[]; bucketOfRow: number[] } {
  const { bytes, ranges } = splitIds([column], buckets);
  const encoded: Uint8Array[] = [];
  const bucketOfRow: number[] = [];
  for (let bucket = 0; bucket < buckets; bucket++) {
    const part = decodeIdBucket(bytes.slice(ranges[2 * bucket], ranges[2 * bucket + 1]), `bucket ${bucket}`);
    part.rows.forEach((row, at) => {
      encoded[row] = part.bytes.slice(part.offsets[at], part.offsets[at + 1]);
      bucketOfRow[row] = bucket;
    });
  }
  return { encoded, bucketOfRow };
}

for (const buckets of [1, 7, 64]) {
  test(`1,000 ids of 1 to 60 bytes in ${buckets} bucket(s): each in its bucket, in row order, bytes intact`, () => {
    const random = seededRandom(buckets);
    // 400 distinct ids of 1 to 60 bytes, multi-byte included; 1,000 rows, so most ids come several times.
    const distinct = Array.from({ length: 400 }, (_, index) => (index % 4 === 0 ? randomUuid(random) : `${index}-${'é'.repeat(random.int(20))}${'x'.repeat(random.int(20))}`));
    const ids = Array.from({ length: 1000 }, () => random.pick(distinct));
    const column = idColumn(ids);
    const { bytes, ranges } = splitIds([column], buckets);
    assert.is(ranges.length, 2 * buckets);
    const seen: number[] = [];
    const bucketOfId = new Map<string, number>();
    for (let bucket = 0; bucket < buckets; bucket++) {
      const part = decodeIdBucket(bytes.slice(ranges[2 * bucket], ranges[2 * bucket + 1]), `bucket ${bucket}`);
      const rows = [...part.rows];
      assert.equal(rows, [...rows].sort((a, b) => a - b), 'row order');
      rows.forEach((row, at) => {
        assert.is(part.hashes[at], column.idHashes[row]);
        assert.is(new TextDecoder().decode(decodeId(part.bytes.subarray(part.offsets[at], part.offsets[at + 1]))), ids[row]);
        assert.is(bucketOfId.get(ids[row]!) ?? bucket, bucket, `every copy of ${ids[row]} in one bucket`);
        bucketOfId.set(ids[row]!, bucket);
      });
      seen.push(...rows);
    }
    assert.equal(seen.sort((a, b) => a - b), ids.map((_, row) => row), 'every row once');
    if (buckets > 1) assert.ok(new Set(bucketOfId.values()).size > 1, 'the ids spread over buckets');
  });
}

function randomUuid(random: ReturnType<typeof seededRandom>): string {
  const hex = Array.from({ length: 32 }, () => '0123456789abcdef'[random.int(16)]).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

test('UUIDs packed in 17 bytes, other ids as they are; equal encodings exactly for equal ids, whatever bytes they hold', () => {
  const uuid = '0123abcd-4567-89ef-fedc-ba9876543210';
  const packed = Buffer.from(uuid.replaceAll('-', ''), 'hex');
  const ids: (string | Uint8Array)[] = [
    uuid,
    uuid.toUpperCase(), // not canonical: as it is
    uuid.replace('-', 'x'), // 36 bytes, not a UUID
    uuid.slice(0, 35) + 'g', // a letter past f
    `{${uuid.slice(1)}`,
    uuid + '0', // 37 bytes
    packed, // the 16 packed bytes as an id of their own
    Uint8Array.of(0xfe, ...packed), // the packed form as an id of its own
    Uint8Array.of(0xff, 0xfe, ...packed),
    Uint8Array.of(0xff),
    '',
    'plain',
  ];
  const rows = [...ids, ...ids]; // each twice
  const { encoded, bucketOfRow } = splitAndRead(idColumn(rows), 5);
  const key = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
  assert.is(encoded[0]!.length, 17);
  assert.is(new Set(encoded.slice(0, ids.length).map(key)).size, ids.length, 'distinct ids, distinct encodings');
  ids.forEach((id, row) => {
    assert.is(key(encoded[row]!), key(encoded[row + ids.length]!), `copies of id ${row}, equal encodings`);
    assert.is(bucketOfRow[row], bucketOfRow[row + ids.length]);
    assert.is(key(decodeId(encoded[row]!)), key(typeof id === 'string' ? new TextEncoder().encode(id) : id), `id ${row} back from its encoding`);
    assert.is(encoded[row]!.length, row === 0 ? 17 : idColumn([id]).idBytes.length + ((typeof id === 'string' ? 0 : id[0]! >= 0xfe ? 1 : 0)), `id ${row}'s length`);
  });
});

test('rows far apart (steps of several bytes) and long ids (lengths of two): read back as written', () => {
  const long = 'x'.repeat(300);
  const rows = Array.from({ length: 40_000 }, (_, row) => (row === 0 || row === 39_999 ? long : `r${row}`));
  const { encoded, bucketOfRow } = splitAndRead(idColumn(rows), 64);
  assert.is(new TextDecoder().decode(encoded[39_999]), long);
  assert.is(encoded.filter(Boolean).length, 40_000);
  assert.ok(bucketOfRow.every((bucket) => bucket >= 0 && bucket < 64));
});

test('a share whose parts do not add up: an error naming it', () => {
  const { bytes, ranges } = splitIds([idColumn(['a', 'b', 'c', 'd'])], 1);
  const share = bytes.slice(ranges[0], ranges[1]);
  assert.throws(() => decodeIdBucket(share.subarray(0, share.length - 1), 'ids/x.bin'), (error: Error) => error.message === 'work file ids/x.bin is damaged: a bucket\'s ids do not add up');
  assert.throws(() => decodeIdBucket(share.subarray(0, 8), 'ids/x.bin'), /is damaged/);
  const endless = share.slice();
  endless.fill(0xff, 12 + 4 * 4); // row steps that never end (each byte says another follows)
  assert.throws(() => decodeIdBucket(endless, 'ids/x.bin'), /is damaged/);
});

test('a partition\'s ids in three files, one starting inside a larger column, split after a larger partition: the bytes of one column', () => {
  const ids = Array.from({ length: 300 }, (_, row) => `id-${row % 250}`);
  const column = idColumn(['first', 'second', ...ids.slice(0, 100)]);
  const inside = { rows: 100, idBytes: column.idBytes, idOffsets: column.idOffsets.subarray(2), idHashes: column.idHashes.subarray(2) };
  const alone = splitIds([idColumn(ids)], 7);
  splitIds([idColumn(Array.from({ length: 5_000 }, (_, row) => `a much longer id, number ${row}`))], 7); // leaves its bytes in the memory
  const again = splitIds([inside, idColumn(ids.slice(100, 101)), idColumn(ids.slice(101))], 7);
  assert.equal(again.ranges, alone.ranges);
  assert.ok(Buffer.from(again.bytes).equals(alone.bytes), 'the same file');
});

test('no ids: every bucket is there, empty', () => {
  const { bytes, ranges } = splitIds([idColumn([])], 4);
  for (let bucket = 0; bucket < 4; bucket++) assert.is(decodeIdBucket(bytes.slice(ranges[2 * bucket], ranges[2 * bucket + 1]), 'empty').rows.length, 0);
});

test('buckets follow the listed input: one per 176 MiB, at least 4; 16 when sizes are unknown', () => {
  const INPUT_BYTES_PER_BUCKET = QUEUE_TASK_SIZES.bucketBytes;
  assert.is(INPUT_BYTES_PER_BUCKET, 176 * 2 ** 20);
  assert.equal([0, 100e6, 4 * INPUT_BYTES_PER_BUCKET, 4 * INPUT_BYTES_PER_BUCKET + 1, 6.6e9, 2e12].map((bytes) => bucketsFor(bytes)), [4, 4, 4, 5, 36, 10838]);
  assert.is(bucketsFor(undefined), 16);
});

test.run();
