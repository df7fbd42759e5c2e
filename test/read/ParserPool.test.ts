// The pool keeps two jobs on each worker at once (the next one waits there, not on this thread):
// every reply must still go to its own request, an error included.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ParserPool, prestartWorker, workerEntry } from '../../src/read/ParserPool.ts';

const scratch = await mkdtemp(join(tmpdir(), 'consent-metrics-pool-'));
/** A file of `rows` events, the row count telling the files apart. */
async function fileOf(rows: number, gzip = false): Promise<string> {
  const path = join(scratch, `rows-${rows}.json${gzip ? '.gz' : ''}`);
  const line = (row: number) => JSON.stringify({ id: `e${rows}-${row}`, type: 'pageview', domain: 'a.com', user: { id: 'u', country: 'FR', token: '{}' } });
  const text = Array.from({ length: rows }, (_, row) => line(row)).join('\n');
  await writeFile(path, gzip ? gzipSync(text) : text);
  return path;
}

for (const workers of [1, 2]) {
  test(`${workers} worker(s), gzip and plain files and a missing one sent at once: each reply to its own request`, async () => {
    const sizes = [5, 300, 1, 2_000, 17, 40, 9];
    // A gzip file is parsed over several turns of the worker's event loop: the plain file sent after it must wait.
    const paths = await Promise.all(sizes.map((rows, index) => fileOf(rows, index % 2 === 0)));
    paths.splice(3, 0, join(scratch, 'missing.json'));
    const pool = new ParserPool(workers);
    try {
      const results = await Promise.allSettled(paths.map((path) => pool.parse(path, path)));
      const outcome = results.map((result) => (result.status === 'fulfilled' ? result.value.rows : (result.reason as Error).message));
      assert.equal(outcome, [5, 300, 1, `cannot read ${join(scratch, 'missing.json')}: ENOENT`, 2_000, 17, 40, 9]);
    } finally {
      await pool.close();
    }
  });
}

test('a pool started with fewer threads than its limit grows to the threads asked, never past the limit', async () => {
  const paths = await Promise.all([3, 4, 6, 8].map((rows) => fileOf(rows)));
  const pool = new ParserPool(3, undefined, 1);
  try {
    assert.is(pool.size, 1);
    const parsed = paths.map((path) => pool.parse(path, path));
    pool.grow(2);
    assert.is(pool.size, 2);
    pool.grow(10);
    assert.is(pool.size, 3, 'the limit');
    assert.equal((await Promise.all(parsed)).map((file) => file.rows), [3, 4, 6, 8]);
  } finally {
    await pool.close();
  }
});

test('a thread started ahead is taken by the first pool of its script; one that has exited is not', async () => {
  const entry = workerEntry(new URL('../../src/read/ParserPool.ts', import.meta.url).href, 'parseWorker');
  const path = await fileOf(12);
  const spare = prestartWorker(entry)!;
  assert.is(prestartWorker(entry), undefined, 'one at a time');
  const first = new ParserPool(1, entry);
  try {
    assert.is((await first.parse(path, path)).rows, 12);
    assert.is(await first.close().then(() => spare.threadId), -1, 'the pool ran on the thread started ahead, and stopped it');
  } finally {
    await first.close();
  }
  await prestartWorker(entry)!.terminate();
  const second = new ParserPool(1, entry); // a pool taking the stopped thread would never answer
  try {
    assert.is((await second.parse(path, path)).rows, 12);
  } finally {
    await second.close();
  }
});

test('a thread that stops by itself fails its work with one line, and any later work; the pool never hangs on it', async () => {
  const pool = new ParserPool(1, new URL('../support/exitingWorker.mjs', import.meta.url));
  try {
    const failure = await pool.parse('any.json', 'any.json').then(() => null, (error: Error) => error.message);
    assert.is(failure, 'a worker thread stopped (exit code 3)');
    // Later work, to any thread or that one, fails with the same reason at once rather than wait on it.
    const later = await Promise.race([
      Promise.allSettled([pool.parse('other.json', 'other.json'), pool.runOn(0, { kind: 'parse' }, [], 'x')]).then((outcomes) => outcomes.map((outcome) => (outcome as PromiseRejectedResult).reason?.message)),
      new Promise((resolve) => setTimeout(() => resolve('still waiting after 2 s'), 2000)),
    ]);
    assert.equal(later, ['a worker thread stopped (exit code 3)', 'a worker thread stopped (exit code 3)']);
  } finally {
    await pool.close();
  }
});

test('closing the pool fails the work in flight and queued, and any later work', async () => {
  const paths = await Promise.all([2_000, 3_000, 4_000].map((rows) => fileOf(rows)));
  const pool = new ParserPool(1);
  const parsed = paths.map((path) => pool.parse(path, path).then(() => 'parsed', (error: Error) => error.message));
  await pool.close();
  assert.equal(await Promise.all(parsed), Array(3).fill('the worker threads were stopped'));
  assert.is(await pool.parse(paths[0]!, paths[0]!).then(() => 'parsed', (error: Error) => error.message), 'the worker threads were stopped');
});

test.after(() => rm(scratch, { recursive: true, force: true }));
test.run();
