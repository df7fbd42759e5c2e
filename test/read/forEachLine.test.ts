import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { forEachLine } from '../../src/read/forEachLine.ts';

async function lines(text: string, chunkSize: number) {
  const bytes = new TextEncoder().encode(text);
  const chunks = (async function* () {
    for (let at = 0; at < bytes.length; at += chunkSize) yield bytes.slice(at, at + chunkSize);
  })();
  const seen: [number, string][] = [];
  const count = await forEachLine(chunks, (line, n) => seen.push([n, new TextDecoder().decode(line)]));
  return { seen, count };
}

const text = 'first\r\nsecond line\n\n\r\nlast without newline é';
const expected: [number, string][] = [[1, 'first'], [2, 'second line'], [3, ''], [4, ''], [5, 'last without newline é']];

test('the same lines whatever the chunk size, CRLF split across chunks included', async () => {
  for (const size of [1, 2, 3, 5, 7, 64, 1 << 20]) {
    const { seen, count } = await lines(text, size);
    assert.equal(seen, expected, `chunk size ${size}`);
    assert.is(count, 5);
  }
});

test('a final newline does not make an extra line; an empty stream has none', async () => {
  assert.equal((await lines('a\nb\n', 3)).seen, [[1, 'a'], [2, 'b']]);
  assert.equal((await lines('', 3)).seen, []);
});

test.run();
