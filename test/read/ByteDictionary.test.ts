import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ByteDictionary } from '../../src/read/columnBuilders.ts';
import { IdSet } from '../../src/index.ts';

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

test('IdSet keeps the first of each id, comparing bytes within a subarray of a larger buffer', () => {
  const ids = new IdSet();
  const line = bytes('xxabcxxabdxxabc');
  assert.ok(ids.addIfAbsent(line, 2, 5, 7));
  assert.ok(ids.addIfAbsent(line, 7, 10, 7));
  assert.not.ok(ids.addIfAbsent(line, 12, 15, 7));
  assert.ok(ids.addIfAbsent(bytes(''), 0, 0, 7), 'the empty id is an id of its own');
  assert.is(ids.size, 3);
});

test.run();
