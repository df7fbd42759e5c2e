// runJob never drops an option the run it chooses would not use: it refuses it at once, naming the
// option as code spells it and the flag as the CLI does, before anything is read or connected to.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { OptionError, runJob, type JobOptions } from '../../src/index.ts';
import { withoutMemory } from '../support/fixtures.ts';

const root = 'fixtures/example/input';
// Nothing listens there: a refusal must come before any connection is tried.
const queue = { url: 'redis://127.0.0.1:1', work: '/nonexistent/work' };

const refusals: [string, Partial<JobOptions> | Record<string, unknown>, string][] = [
  ['buckets with a state', { state: { location: 'state/' }, buckets: 8 }, 'buckets (--buckets) does not apply with state (--state): an incremental run deduplicates in one set'],
  ['dedupLanes with a state', { state: { location: 'state/' }, dedupLanes: 2 }, 'dedupLanes does not apply with state (--state): an incremental run deduplicates in one set'],
  ['a work location with a state', { state: { location: 'state/' }, queue }, 'queue.work (--work) does not apply with state (--state): workers write what they read into the state'],
  ['count shards with a state', { state: { location: 'state/' }, countShards: 2 }, 'countShards does not apply with state (--state): an incremental run counts each partition whole'],
  ['count shards without threads', { workers: 0, countShards: 2 }, 'countShards needs worker threads, and workers (--workers) is 0'],
  ['worker threads with a state through the queue', { state: { location: 'state/' }, queue: { url: queue.url }, workers: 2 }, 'workers (--workers) does not apply with state (--state) and queue (--queue): each worker process reads its partitions on its own thread'],
  ['a queue without a work location', { queue: { url: queue.url } }, 'queue (--queue) needs queue.work (--work): a folder or s3:// prefix every worker reaches'],
  ['dedupLanes through the queue', { queue, dedupLanes: 2 }, 'dedupLanes does not apply with queue (--queue): dedup tasks take one bucket each'],
  ['onPartition through the queue', { queue, onPartition: () => {} }, 'onPartition is not called with queue (--queue), whose workers count the partitions: use queue.onTask'],
  ['the queue as a URL string', { queue: queue.url }, `queue (--queue) must be an object with url as a string, e.g. queue: { url: '...' }, got "${queue.url}"`],
  ['a temporary folder with a state', { state: { location: 'state/' }, temp: '/tmp' }, 'temp (--temp) does not apply with state (--state): an incremental run keeps what does not fit in memory in the state'],
  ['onTask through the queue', { queue, onTask: () => {} }, 'onTask is called by a run in this process that spills under memory (--memory) only: use queue.onTask'],
  ['a memory budget through the queue', { queue, memory: '1GiB' }, 'memory (--memory) does not apply with queue (--queue): its tasks run on the workers, sized by the queue'],
  ['a temporary folder through the queue', { queue, temp: '/tmp' }, 'temp (--temp) does not apply with queue (--queue): its tasks run on the workers, sized by the queue'],
  ['a memory budget below the fixed overhead', { root: '/nonexistent/root', memory: '100MiB' }, 'memory (--memory) 100 MiB is below what a run needs before its data: 188 MiB (the runtime and its modules 96 MiB, a thread 12 MiB, the least a task and the output work in)'],
  ['an unknown compression', { compression: 'gzip' }, 'compression (--compression) must be one of snappy, zstd, none, got "gzip"'],
  ['a datehour where a list belongs', { partitions: '2021-02-01-09' }, `partitions (--partitions) must be a list of datehours YYYY-MM-DD-HH, e.g. ['2021-01-23-10'], got "2021-02-01-09"`],
  ['an empty list of partitions', { partitions: [] }, `partitions (--partitions) must be a list of datehours YYYY-MM-DD-HH, e.g. ['2021-01-23-10'], got []`],
  ['a malformed datehour, the root missing too: the option first', { root: '/nonexistent/root', from: 'today' }, 'from (--from) must be a datehour YYYY-MM-DD-HH, got "today"'],
  ['an S3 setting misspelt', { s3: { endpont: 'http://127.0.0.1:9000' } }, 'unknown option s3.endpont (did you mean s3.endpoint?); s3 takes client, endpoint, region, credentials, maxAttempts, connectTimeout, idleTimeout, stallTimeout, checksums'],
  ['an S3 setting of the wrong kind', { s3: { maxAttempts: '3' } }, 's3.maxAttempts (--attempts) must be a whole number from 1, got "3"'],
  ['a queue URL that is not Redis\'s', { queue: { url: 'http://10.0.0.5:6379', work: '/tmp/w' } }, 'queue.url (--queue) must be a redis:// or rediss:// URL, got "http://10.0.0.5:6379"'],
  ['a queue field misspelt', { queue: { ...queue, ontask: () => {} } }, 'unknown option queue.ontask (did you mean queue.onTask?); queue takes url, work, timeout, onTask'],
  ['a state field that is not one', { state: { location: 'state/', lookback: 3 } }, 'unknown option state.lookback; state takes location'],
  ['a BigInt where a number belongs', { lookback: 3n }, 'lookback (--lookback) must be a whole number of hours from 0, got 3n'],
  ['an option misspelt', { lookbak: 3 }, 'unknown option lookbak (did you mean lookback?); runJob takes root, out, partitions, from, to, s3, compression, lookback, state, strict, concurrency, workers, splitBytes, onPartition, onTask, queue, buckets, dedupLanes, countShards, memory, temp, by, grain, keys'],
  ['a number where a flag is a boolean', { strict: 1 }, 'strict (--strict) must be true or false, got 1'],
  ['a bad lookback', { lookback: -1 }, 'lookback (--lookback) must be a whole number of hours from 0, got -1'],
  ['the state as a path string', { state: 'state/' }, 'state (--state) must be an object with location as a string, e.g. state: { location: \'...\' }, got "state/"'],
];
for (const [what, options, message] of refusals) {
  test(`${what}: refused at once with one line`, async () => {
    const started = performance.now();
    const error = await runJob({ root, ...options } as JobOptions).then(() => null, (failure: Error) => failure);
    assert.instance(error, OptionError);
    assert.is(error!.message, message);
    assert.ok(performance.now() - started < 1000, 'before anything is read or connected to');
  });
}

test('a local run takes dedupLanes and buckets, and gives what the defaults give', async () => {
  const local = await runJob({ root, dedupLanes: 2, buckets: 8 });
  const plain = await runJob({ root });
  assert.equal(withoutMemory(local.report), withoutMemory(plain.report));
  assert.equal(local.metrics.objects(), plain.metrics.objects());
  assert.is(local.metrics.numRows(), 10, 'the example\'s rows (fixtures/example/expected.json)');
});

test.run();
