import { gzipSync } from 'node:zlib';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { gunzipIfNeeded, isGzip } from '../../src/read/gunzipIfNeeded.ts';

async function collect(bytes: Uint8Array, chunkSize: number) {
  const chunks = (async function* () {
    for (let at = 0; at < bytes.length; at += chunkSize) yield bytes.subarray(at, at + chunkSize);
  })();
  const parts: Uint8Array[] = [];
  for await (const chunk of gunzipIfNeeded(chunks)) parts.push(chunk);
  return Buffer.concat(parts).toString();
}

const text = 'a line\nanother line\n'.repeat(1000);

test('plain bytes pass through unchanged', async () => {
  assert.is(await collect(Buffer.from(text), 100), text);
});

test('gzip is detected by its magic bytes and decompressed as a stream', async () => {
  assert.is(await collect(gzipSync(text), 100), text);
  assert.is(await collect(gzipSync(text), 2), text);
});

test('concatenated gzip members read as one stream', async () => {
  assert.is(await collect(Buffer.concat([gzipSync('one\n'), gzipSync('two\n')]), 7), 'one\ntwo\n');
});

test('a reader that stops early stops the stream under it, plain or gzip', async () => {
  const noise = new Uint8Array(1 << 20).map((_, at) => (at * 2654435761) >>> 24); // gzip cannot shrink it
  for (const bytes of [Buffer.from(text), gzipSync(noise)]) {
    let closed = false;
    const chunks = (async function* () {
      try {
        for (let at = 0; at < bytes.length; at += 10) yield bytes.subarray(at, at + 10);
      } finally {
        closed = true;
      }
    })();
    for await (const chunk of gunzipIfNeeded(chunks)) if (chunk.length > 0) break;
    assert.ok(closed, `the source was closed (${isGzip(bytes) ? 'gzip' : 'plain'})`);
  }
});

test('next() called again before the first settles: every chunk once, in order', async () => {
  for (const bytes of [Buffer.from(text), gzipSync(text)]) {
    const iterator = gunzipIfNeeded((async function* () {
      for (let at = 0; at < bytes.length; at += 100) yield bytes.subarray(at, at + 100);
    })())[Symbol.asyncIterator]();
    const parts: Uint8Array[] = [];
    for (let pair = await Promise.all([iterator.next(), iterator.next()]); ; pair = await Promise.all([iterator.next(), iterator.next()])) {
      for (const step of pair) if (!step.done) parts.push(step.value);
      if (pair[1].done) break;
    }
    assert.is(Buffer.concat(parts).toString(), text);
  }
});

test('a corrupt gzip stream fails', async () => {
  const broken = gzipSync(text).subarray(0, 40);
  try {
    await collect(broken, 10);
    assert.unreachable('expected an error');
  } catch (error) {
    assert.match((error as Error).message, /unexpected end of file/);
  }
});

test.run();
