import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ByteDictionary } from '../../src/read/columnBuilders.ts';
import { IdSet, markDuplicates } from '../../src/index.ts';
import { hashBytes } from '../../src/read/hashBytes.ts';

const bytes = (text: string) => new TextEncoder().encode(text);

test('equal hashes never make different bytes equal: codes by bytes, through rehashes', () => {
  const dictionary = new ByteDictionary(4);
  const words = Array.from({ length: 5000 }, (_, i) => `word-${i}`);
  // Every word gets one of only three hashes: every lookup walks collisions and compares bytes.
  words.forEach((word, i) => assert.is(dictionary.add(bytes(word), 0, word.length, i % 3), i));
  words.forEach((word, i) => assert.is(dictionary.find(bytes(word), 0, word.length, i % 3), i));
  assert.is(dictionary.find(bytes('word-5000'), 0, 9, 0), -1);
  assert.is(dictionary.find(bytes('word-'), 0, 5, 0), -1, 'a prefix is not a word');
  assert.is(dictionary.find(bytes('word-10'), 0, 7, 0), -1, 'the right bytes under the wrong hash are not found');
});

test('IdSet keeps the first of each id, comparing bytes in place across the columns it keeps', () => {
  const ids = new IdSet();
  // Two id columns (bytes + offsets), as partitions give them; every id gets the same hash: bytes decide.
  const first = ids.keep(bytes('abcabd'), Int32Array.of(0, 3, 6));
  const second = ids.keep(bytes('xabcabdab'), Int32Array.of(1, 4, 7, 9, 9));
  assert.ok(ids.addIfAbsent(first, 0, 7), 'abc');
  assert.ok(ids.addIfAbsent(first, 1, 7), 'abd');
  assert.not.ok(ids.addIfAbsent(second, 0, 7), 'abc again, from another column');
  assert.not.ok(ids.addIfAbsent(second, 1, 7), 'abd again');
  assert.ok(ids.addIfAbsent(second, 2, 7), 'ab, a prefix, is another id');
  assert.ok(ids.addIfAbsent(second, 3, 7), 'the empty id is an id of its own');
  assert.is(ids.size, 4);
});

test('IdSet stays exact through its rehashes', () => {
  const ids = new IdSet();
  const text = Array.from({ length: 20_000 }, (_, i) => `id-${i}`);
  const encoded = bytes(text.join(''));
  const offsets = new Int32Array(text.length + 1);
  text.forEach((id, i) => (offsets[i + 1] = offsets[i]! + id.length));
  const column = ids.keep(encoded, offsets);
  text.forEach((_, i) => assert.ok(ids.addIfAbsent(column, i, i % 5)));
  text.forEach((_, i) => assert.not.ok(ids.addIfAbsent(column, i, i % 5)));
  assert.is(ids.size, 20_000);
});

test('markDuplicates marks exactly the rows whose id came earlier, across files and read-ahead batches', () => {
  // 3 files of 1,000 ids drawn from 700 values (so repeats inside a file, inside a read-ahead batch
  // and across files), hashed with hashBytes; the expectation is a JS Set of strings.
  const files = [1, 2, 3].map((seed) => {
    const text = Array.from({ length: 1000 }, (_, i) => `u${(i * 7919 * seed + seed) % 700}`);
    const idBytes = bytes(text.join(''));
    const idOffsets = new Int32Array(text.length + 1);
    text.forEach((id, i) => (idOffsets[i + 1] = idOffsets[i]! + id.length));
    const idHashes = Int32Array.from(text, (_, i) => hashBytes(idBytes, idOffsets[i]!, idOffsets[i + 1]!));
    return { text, rows: text.length, idBytes, idOffsets, idHashes };
  });
  const seen = new Set<string>();
  const expected = files.flatMap(({ text }) => text.map((id) => (seen.has(id) ? 1 : (seen.add(id), 0))));
  const ids = new IdSet();
  assert.equal([...markDuplicates(files.slice(0, 2), ids), ...markDuplicates(files.slice(2), ids)], expected);
  assert.is(ids.size, seen.size);
});

test('IdSet.reserve makes room once: the reserved ids then go in without growing, exactly', () => {
  const ids = new IdSet();
  const text = Array.from({ length: 50_000 }, (_, i) => `event-${i}`);
  const offsets = new Int32Array(text.length + 1);
  text.forEach((id, i) => (offsets[i + 1] = offsets[i]! + id.length));
  const column = ids.keep(bytes(text.join('')), offsets);
  assert.ok(ids.addIfAbsent(column, 0, 0), 'an id before the reservation');
  ids.reserve(50_000);
  const reserved = ids.capacity;
  assert.ok(reserved >= 50_000 && reserved < 200_000, `capacity ${reserved}`);
  text.forEach((_, i) => assert.is(ids.addIfAbsent(column, i, i % 1000), i > 0, `id ${i}`));
  assert.is(ids.capacity, reserved, 'no growth');
  assert.is(ids.size, 50_000);
  ids.reserve(10);
  assert.is(ids.capacity, reserved, 'never shrinks');
});

test.run();
