// --lookback against the naive reference (test/support/referenceJob.ts), on events retried 0 to 9
// hours later, across a gap in the hours: in-process with dedup lanes on worker threads, on the calling
// thread, and through the CLI. Unlimited (the default) keeps the SPEC's first-copy-wins rule.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { IdSet, markDuplicates, METRIC_COLUMNS, NO_HOUR, runJob, type JobResult } from '../../src/index.ts';
import { rowsDiffer } from '../support/fixtures.ts';
import { referenceJob } from '../support/referenceJob.ts';
import { consecutiveDatehours, writeRetriedEvents } from '../support/retriedEvents.ts';
import { runCliProcess } from '../support/runCliProcess.ts';

const scratch = await mkdtemp(join(tmpdir(), 'consent-metrics-lookback-'));
const root = join(scratch, 'events');
writeRetriedEvents(root, { datehours: consecutiveDatehours('2021-01-23-00', 16, [6, 7]), seed: 7 });
const rowsOf = (result: JobResult) => result.metrics.objects().map((row) => METRIC_COLUMNS.map((name) => (row as Record<string, unknown>)[name]));

for (const lookback of [0, 1, 2, 5, 8, undefined]) {
  test(`lookback ${lookback ?? 'unlimited'}: equals the reference, with worker threads and without`, async () => {
    const reference = referenceJob(root, { lookback });
    // Lanes: 3 on 3 threads sharing 7 buckets, 2 on 2 threads and the default 64, the default (one), one on this thread; small splits.
    for (const [workers, dedupLanes, buckets, splitBytes] of [[3, 3, 7, 3000], [2, 2, undefined, undefined], [2, undefined, undefined, undefined], [0, undefined, undefined, 5000]] as const) {
      const result = await runJob({ root, lookback, workers, dedupLanes, buckets, splitBytes });
      assert.is(rowsDiffer(rowsOf(result), reference.rows), null, `workers ${workers}`);
      assert.is(result.report.duplicates, reference.duplicates, `workers ${workers}`);
      assert.is(result.report.events, result.report.lines - reference.duplicates);
    }
  });
}

test('the lookback changes the result: more hours, more duplicates, up to the unlimited rule', () => {
  const duplicates = [0, 1, 2, 5, 8, undefined].map((lookback) => referenceJob(root, { lookback }).duplicates);
  for (let i = 1; i < duplicates.length; i++) assert.ok(duplicates[i]! > duplicates[i - 1]!, `${duplicates}`);
});

test('the CLI takes --lookback and refuses a bad one', async () => {
  const good = await runCliProcess([root, '--lookback', '2', '--format', 'json']);
  assert.is(good.code, 0, good.stderr);
  assert.is(rowsDiffer((JSON.parse(good.stdout) as Record<string, unknown>[]).map((row) => METRIC_COLUMNS.map((name) => row[name])), referenceJob(root, { lookback: 2 }).rows), null);
  const bad = await runCliProcess([root, '--lookback=-1']);
  assert.is(bad.code, 2);
  assert.match(bad.stderr, /--lookback must be a whole number from 0/);
});

test('IdSet with a lookback: a copy outside the window is kept and becomes the latest, and old ids are let go', () => {
  const column = (ids: string[]) => {
    const bytes = new TextEncoder().encode(ids.join(''));
    const offsets = Int32Array.from([0, ...ids.map((_, i) => ids.slice(0, i + 1).join('').length)]);
    return { rows: ids.length, idBytes: bytes, idOffsets: offsets, idHashes: Int32Array.from(ids, (id) => id.charCodeAt(0)) };
  };
  const ids = new IdSet({ lookback: 2 });
  const others = 'cdefghijkl'.split(''); // ids seen once, at hour 10 only
  assert.equal([...markDuplicates([column(['a', 'b', 'a', ...others])], ids, { hour: 10 })], [0, 0, 1, ...others.map(() => 0)]);
  assert.is(ids.size, 12);
  assert.equal([...markDuplicates([column(['a'])], ids, { hour: 12 })], [1], '2 hours back: inside');
  assert.equal([...markDuplicates([column(['b', 'a'])], ids, { hour: 13 })], [0, 0], '3 hours back: kept again');
  assert.is(ids.size, 2, 'the ten ids of hour 10, now outside every later window, are let go');
  assert.equal([...markDuplicates([column(['a', 'b'])], ids, { hour: 15 })], [1, 1], 'the copies of hour 13 are the latest');
  assert.is(ids.size, 2);
  assert.throws(() => new IdSet({ lookback: 1.5 }), /lookback must be a whole number/);
});

test('markDuplicates with the hours of earlier kept copies (an incremental run): inside the window a duplicate, outside kept', () => {
  const column = (ids: string[]) => ({ // one-letter ids
    rows: ids.length, idBytes: new TextEncoder().encode(ids.join('')), idOffsets: Int32Array.from({ length: ids.length + 1 }, (_, i) => i), idHashes: Int32Array.from(ids, (id) => id.charCodeAt(0)),
  });
  // b was kept 5 hours before (earlier partitions); a and c were not.
  const files = [column(['a', 'b']), column(['a', 'c', 'b'])];
  const earlierHours = Int32Array.of(NO_HOUR, 5, NO_HOUR, NO_HOUR, 5);
  assert.equal([...markDuplicates(files, new IdSet(), { hour: 10, earlierHours })], [0, 1, 1, 0, 1], 'unlimited: every copy of b');
  assert.equal([...markDuplicates(files, new IdSet({ lookback: 5 }), { hour: 10, earlierHours })], [0, 1, 1, 0, 1], '5 hours back: inside');
  assert.equal([...markDuplicates(files, new IdSet({ lookback: 4 }), { hour: 10, earlierHours })], [0, 0, 1, 0, 1], '5 hours back, lookback 4: b kept again, then its copy here');
});

test.after(() => rm(scratch, { recursive: true, force: true }));
test.run();
