// Queued runs for real (loaded by queue.test.ts when redis-server is here): a redis-server child
// process, `consent-metrics worker` child processes, and the results compared with the in-process
// run of the same data (or the golden expectations). Faults are caused, not mocked: a worker killed
// with SIGKILL mid-run, one stopped with SIGTERM, Redis killed under a running job.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { cpSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { Queue, QueueEvents } from 'bullmq';
import { test as uvuTest } from 'uvu';
import * as assert from 'uvu/assert';
import { ConsentMetricsError, METRIC_COLUMNS, runJob, StrictModeError, type JobOptions, type JobResult } from '../../../src/index.ts';
import { goldenCases, rowsDiffer, withoutMemory } from '../../support/fixtures.ts';
import { referenceJob } from '../../support/referenceJob.ts';
import { consecutiveDatehours, writeRetriedEvents } from '../../support/retriedEvents.ts';
import { startRedis } from '../../support/startRedis.ts';
import { startFaultProxy } from '../../support/faultProxy.ts';
import { S3RVER_CREDENTIALS, startS3rver } from '../../support/startS3rver.ts';

const scratch = await mkdtemp(join(tmpdir(), 'consent-metrics-queue-'));
const redis = await startRedis();
const work = join(scratch, 'work');
const workers: ChildProcess[] = [];

/** A `consent-metrics worker` process on the test Redis; locks of 2 s, so a killed worker's task moves on quickly. */
function startWorker(queue = redis.url): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'worker', '--queue', queue, '--lock-duration', '2'], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, AWS_ACCESS_KEY_ID: S3RVER_CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: S3RVER_CREDENTIALS.secretAccessKey, AWS_REGION: 'us-east-1' },
  });
  child.stderr!.resume();
  workers.push(child);
  return child;
}
const exitOf = (child: ChildProcess) =>
  child.exitCode !== null || child.signalCode !== null
    ? Promise.resolve({ code: child.exitCode, signal: child.signalCode })
    : new Promise<{ code: number | null; signal: string | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));

/**
 * A test that fails after `seconds`, saying where the queue stood, instead of hanging the suite: a
 * run that never ends (a task nobody takes, a worker that never exits) is a failure to read.
 */
function test(name: string, body: () => Promise<void>, seconds = 120): void {
  uvuTest(name, () => new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => void queueState().then((state) => reject(new Error(`not done after ${seconds} s; ${state}`))), seconds * 1000);
    body().then(resolve, reject).finally(() => clearTimeout(timer));
  }));
}
async function queueState(): Promise<string> {
  const queue = new Queue('consent-metrics', { connection: { url: redis.url, maxRetriesPerRequest: 1 } });
  const counts = await queue.getJobCounts().catch((error: Error) => `unknown (${error.message})`);
  await queue.close().catch(() => {});
  const states = workers.map((child) => `${child.pid}: ${child.exitCode ?? child.signalCode ?? 'running'}`);
  return `jobs ${JSON.stringify(counts)}; workers ${states.join(', ')}`;
}

const rowsOf = (result: JobResult) => result.metrics.objects().map((row) => METRIC_COLUMNS.map((name) => (row as Record<string, unknown>)[name]));
const emptyWork = async () => assert.equal(await readdir(work).catch(() => []), [], 'the work location is emptied');

// A generated run: 48 hours, duplicates within files and repeated in the next hour's first file.
const generated = join(scratch, 'generated');
execFileSync(process.execPath, ['--import', 'tsx', 'bench/generate.ts', '--events', '24000', '--hours', '48', '--files', '2', '--seed', '5', '--out', generated]);
const inProcessOut = join(scratch, 'in-process.parquet');
const inProcess = await runJob({ root: generated, out: inProcessOut });

for (let i = 0; i < 3; i++) startWorker();

for (const golden of goldenCases()) {
  test(`golden ${golden.name} through 3 workers, in 64-byte splits and 2 count shards, equals its expected.json; its report (examples and their line numbers) is the in-process run's`, async () => {
    const { metrics, report } = await runJob({ root: golden.root, ...golden.options, queue: { url: redis.url, work }, buckets: 3, splitBytes: 64, countShards: 2 });
    assert.equal(report, withoutMemory((await runJob({ root: golden.root, ...golden.options })).report));
    const rows = metrics.objects().map((row) => METRIC_COLUMNS.map((name) => (row as Record<string, unknown>)[name]));
    assert.is(rowsDiffer(rows, golden.rows), null);
    const { lines, duplicates, rejected, invalid_tokens } = golden.report;
    assert.equal({ lines, duplicates, rejected, invalid_tokens }, { lines: report.lines, duplicates: report.duplicates, rejected: report.rejected, invalid_tokens: report.invalid_tokens });
    await emptyWork();
  });
}

test('48 generated hours through 3 workers: the same Parquet bytes and report as the in-process run, 3 work files a partition', async () => {
  const out = join(scratch, 'queued.parquet');
  let last = 0;
  let peakFiles = 0; // in the work location, as each task ends
  const countFiles = () => readdirSync(work, { recursive: true, withFileTypes: true }).filter((entry) => entry.isFile()).length;
  let total = 0;
  const queued = await runJob({ root: generated, out, queue: { url: redis.url, work, onTask: ({ done, of }) => {
    last = done;
    total = of;
    assert.ok(done <= of);
    peakFiles = Math.max(peakFiles, countFiles());
  } } });
  // Ids and rows per read (one a partition: its two files are under a split together), counts per
  // partition (one shard each, all counted by one task), one duplicates file per bucket, and the plan. The buckets follow the
  // input's size: 4, the least, for these few MB.
  assert.is(peakFiles, 48 * 3 + 4 + 1, `${peakFiles} files at the peak`);
  assert.ok(inProcess.report.duplicates > 400, `duplicates across files and hours: ${inProcess.report.duplicates}`);
  assert.equal(queued.report, withoutMemory(inProcess.report));
  assert.equal(rowsOf(queued), rowsOf(inProcess));
  assert.ok((await readFile(out)).equals(await readFile(inProcessOut)), 'the same Parquet bytes');
  assert.is(last, 48 + 4 + 1, 'a read task a partition, 4 dedup tasks, one count task for these small partitions');
  assert.is(total, last, 'the progress total: the tasks the run had');
  // --profile's task table: every task measured once by the worker that ran it.
  assert.equal(Object.entries(queued.times.tasks).map(([kind, { tasks }]) => [kind, tasks]), [['read', 48], ['dedup', 4], ['count', 1]]);
  for (const [kind, usage] of Object.entries(queued.times.tasks)) {
    assert.ok(usage.cpuSeconds > 0 && usage.seconds > 0 && usage.peakRssMiB > 50, `${kind}: ${JSON.stringify(usage)}`);
  }
  // The run's own stages: listing, waiting for the tasks, then taking the losers out, metrics and the write.
  const { list, waiting, count, metrics, write, parse, dedup } = queued.times.milliseconds;
  assert.ok([list, waiting, count, metrics, write].every((ms) => ms > 0), JSON.stringify(queued.times.milliseconds));
  assert.equal([parse, dedup], [0, 0], 'done by the workers');
  await emptyWork();
});

test('--lookback through the queue equals the naive reference, as in-process does', async () => {
  const root = join(scratch, 'retried');
  writeRetriedEvents(root, { datehours: consecutiveDatehours('2021-01-23-00', 12, [4]), seed: 11 });
  for (const lookback of [1, 3]) {
    const reference = referenceJob(root, { lookback });
    const queued = await runJob({ root, lookback, queue: { url: redis.url, work }, buckets: 3 });
    assert.is(rowsDiffer(rowsOf(queued), reference.rows), null, `lookback ${lookback}`);
    assert.is(queued.report.duplicates, reference.duplicates);
  }
  await emptyWork();
});

test('--state through the queue: workers read the new partitions into the state; each run equals a stateless one, and an in-process run reuses it', async () => {
  const all = join(scratch, 'state-all');
  const root = join(scratch, 'state-input');
  const state = join(scratch, 'state');
  const hours = consecutiveDatehours('2021-01-23-00', 8);
  const texts = writeRetriedEvents(all, { datehours: hours, seed: 17 });
  const copyHours = (chosen: string[]) => chosen.forEach((datehour) => cpSync(join(all, `datehour=${datehour}`), join(root, `datehour=${datehour}`), { recursive: true }));
  const equalsStateless = async (result: JobResult, out: string) => {
    const reference = join(scratch, 'state-stateless.parquet');
    const stateless = await runJob({ root, out: reference });
    assert.ok((await readFile(out)).equals(await readFile(reference)), 'the same Parquet bytes as a stateless run');
    assert.is(result.report.duplicates, stateless.report.duplicates);
  };
  const out = join(scratch, 'state-queued.parquet');
  copyHours(hours.slice(0, 4));
  const first = await runJob({ root, state: { location: state }, out, queue: { url: redis.url } });
  assert.equal(first.report.state!.read, hours.slice(0, 4));
  await equalsStateless(first, out);
  copyHours(hours.slice(4));
  await writeFile(join(root, `datehour=${hours[1]}`, 'part-late.json'), texts.get(hours[5]!)![0]!); // late copies of a later hour
  const second = await runJob({ root, state: { location: state }, out, queue: { url: redis.url } });
  assert.equal(second.report.state!.read, [hours[1], ...hours.slice(4)]);
  assert.equal(second.report.state!.recounted, hours.slice(2, 4));
  await equalsStateless(second, out);
  const here = await runJob({ root, state: { location: state }, out });
  assert.equal(here.report.state!.read, [], 'an in-process run finds nothing new');
});

test('a worker killed with SIGKILL mid-run and one stopped with SIGTERM, files read in 16 KiB splits: the result is still exact', async () => {
  const events = new QueueEvents('consent-metrics', { connection: { url: redis.url } });
  let stalled = 0;
  events.on('stalled', () => stalled++);
  await events.waitUntilReady();
  const [killed, stopped] = [workers.at(-3)!, workers.at(-2)!];
  const out = join(scratch, 'killed.parquet');
  let stoppedExit: Promise<{ code: number | null; signal: string | null }> | undefined;
  const queued = await runJob({
    root: generated, out, splitBytes: 16_384,
    queue: { url: redis.url, work, onTask: ({ done }) => {
      if (done === 6) killed.kill('SIGKILL');
      if (done === 20) {
        stopped.kill('SIGTERM');
        stoppedExit = exitOf(stopped);
      }
    } },
  });
  await events.close();
  assert.equal(await exitOf(killed), { code: null, signal: 'SIGKILL' });
  assert.equal(await stoppedExit, { code: 0, signal: null }, 'SIGTERM: the task in hand finished, then exit 0');
  assert.ok(stalled >= 1, 'the killed worker held a task, taken back by the stalled-job check');
  assert.equal(queued.report, withoutMemory(inProcess.report));
  assert.ok((await readFile(out)).equals(await readFile(inProcessOut)), 'the same Parquet bytes');
  await emptyWork();
  startWorker();
  startWorker();
});

test('strict mode fails as a local run does (files in 64-byte splits: the line numbers are the file\'s), at once, and leaves no output and an empty work location', async () => {
  const golden = goldenCases().find((candidate) => candidate.name === 'bad-lines')!;
  const local = await runJob({ root: golden.root, strict: true }).catch((error: Error) => error);
  const out = join(scratch, 'strict.parquet');
  const started = performance.now();
  const queued = await runJob({ root: golden.root, strict: true, out, queue: { url: redis.url, work }, splitBytes: 64 }).catch((error: Error) => error);
  assert.match((local as Error).message, /:([2-9]|\d\d+): /, 'a problem past the first split');
  assert.instance(local, StrictModeError);
  assert.instance(queued, StrictModeError);
  assert.is((queued as Error).message, (local as Error).message);
  assert.ok(performance.now() - started < 5000, 'no retries with backoff');
  assert.is(await stat(out).catch(() => null), null);
  await emptyWork();
});

test('strict mode with a corrupt file in a later hour: the earlier hour\'s first bad line fails the run, as in-process, not the later read', async () => {
  const root = join(scratch, 'strict-then-corrupt');
  cpSync(goldenCases().find((candidate) => candidate.name === 'bad-lines')!.root, root, { recursive: true });
  mkdirSync(join(root, 'datehour=2021-01-23-11'));
  writeFileSync(join(root, 'datehour=2021-01-23-11', 'part-0.json.gz'), Buffer.from('1f8b0800676172626167652d6e6f742d6465666c617465', 'hex')); // gzip's magic, then not deflate
  const local = await runJob({ root, strict: true }).catch((error: Error) => error);
  const queued = await runJob({ root, strict: true, queue: { url: redis.url, work } }).catch((error: Error) => error);
  assert.instance(local, StrictModeError);
  assert.instance(queued, StrictModeError);
  assert.is((queued as Error).message, (local as Error).message);
  // Not strict, the corrupt file fails both runs alike.
  const plainLocal = await runJob({ root }).catch((error: Error) => error.message);
  const plainQueued = await runJob({ root, queue: { url: redis.url, work } }).catch((error: Error) => error.message);
  assert.match(String(plainLocal), /part-0\.json\.gz: Z_DATA_ERROR$/);
  assert.is(plainQueued, plainLocal);
  await emptyWork();
});

test('a missing partition fails with the local one-line error', async () => {
  const options: JobOptions = { root: generated, partitions: ['2020-01-01-00'] };
  const local = await runJob(options).catch((error: Error) => error.message);
  const queued = await runJob({ ...options, queue: { url: redis.url, work } }).catch((error: Error) => error.message);
  assert.match(String(local), /2020-01-01-00/);
  assert.is(queued, local);
});

test('two runs on one queue at the same time do not mix', async () => {
  const [a, b] = ['dedupe-across-partitions', 'tokens'].map((name) => goldenCases().find((candidate) => candidate.name === name)!);
  const [ra, rb] = await Promise.all([a, b].map((golden) => runJob({ root: golden.root, queue: { url: redis.url, work } })));
  assert.is(rowsDiffer(rowsOf(ra!), a!.rows), null);
  assert.is(rowsDiffer(rowsOf(rb!), b!.rows), null);
  await emptyWork();
});

test('S3 input, S3 work location and S3 output through s3rver', async () => {
  const s3 = await startS3rver(['events', 'scratch', 'results']);
  try {
    const golden = goldenCases().find((candidate) => candidate.name === 'dedupe-across-partitions')!;
    for (const path of await readdir(golden.root, { recursive: true })) {
      if (!path.endsWith('.json')) continue;
      await s3.client.send(new PutObjectCommand({ Bucket: 'events', Key: `raw/${path}`, Body: await readFile(join(golden.root, path)) }));
    }
    const options = { endpoint: s3.endpoint, credentials: S3RVER_CREDENTIALS, region: 'us-east-1' };
    const queued = await runJob({ root: 's3://events/raw', out: 's3://results/m.parquet', queue: { url: redis.url, work: 's3://scratch/cm' }, s3: options });
    assert.is(rowsDiffer(rowsOf(queued), golden.rows), null);
    assert.equal(queued.written, ['s3://results/m.parquet']);
    const left = await s3.client.send(new ListObjectsV2Command({ Bucket: 'scratch' }));
    assert.is(left.KeyCount, 0, 'the S3 work location is emptied');
  } finally {
    await s3.stop();
  }
});

test('an S3 failure past the SDK retries fails the task, which BullMQ runs again after its backoff: the result is exact', async () => {
  const s3 = await startS3rver(['events']);
  const golden = goldenCases().find((candidate) => candidate.name === 'dedupe-across-partitions')!;
  // Each input object's first GET answers 500: with one S3 attempt, every read task fails once.
  const failed = new Set<string>();
  const proxy = await startFaultProxy(s3.endpoint, s3.directory, ({ kind, path }) =>
    kind === 'get_object' && !failed.has(path) ? (failed.add(path), 'server_error') : undefined);
  try {
    for (const path of await readdir(golden.root, { recursive: true })) {
      if (path.endsWith('.json')) await s3.client.send(new PutObjectCommand({ Bucket: 'events', Key: `raw/${path}`, Body: await readFile(join(golden.root, path)) }));
    }
    const queued = await runJob({
      root: 's3://events/raw', queue: { url: redis.url, work },
      s3: { endpoint: proxy.endpoint, credentials: S3RVER_CREDENTIALS, region: 'us-east-1', maxAttempts: 1 },
    });
    assert.is(proxy.injected.server_error, 2, 'one failed GET per partition');
    assert.is(rowsDiffer(rowsOf(queued), golden.rows), null);
    assert.is(queued.report.duplicates, golden.report.duplicates);
    await emptyWork();
  } finally {
    await proxy.stop();
    await s3.stop();
  }
});

test('Redis lost under a running job: one line, nothing written, work location emptied', async () => {
  const lost = await startRedis();
  const worker = startWorker(lost.url);
  const out = join(scratch, 'lost.parquet');
  const error = await runJob({
    root: generated, out, queue: { url: lost.url, work, timeout: 1000, onTask: ({ done }) => done === 3 && void lost.stop() },
  }).then(() => null, (failure: Error) => failure);
  assert.ok(error, 'the run failed');
  assert.match(error!.message, /^lost the queue at redis:\/\/127\.0\.0\.1:\d+: /);
  assert.not.match(error!.message, /\n/);
  assert.is(await stat(out).catch(() => null), null);
  await emptyWork();
  worker.kill('SIGKILL');
});

test('a task whose worker is killed each time it runs it fails the run with one line naming the task, not the queue library\'s reason', async () => {
  // One hour holds a link to a named pipe with no writer (a source lists files and links): the worker
  // that reads it blocks in open() until it is killed.
  const root = join(scratch, 'doomed-input');
  cpSync('fixtures/example/input', root, { recursive: true });
  execFileSync('mkfifo', [join(scratch, 'doomed-pipe')]);
  await symlink(join(scratch, 'doomed-pipe'), join(root, 'datehour=2021-01-23-11', 'part-zz.json'));
  const doomed = await startRedis();
  let worker = startWorker(doomed.url);
  const queue = new Queue('consent-metrics', { connection: { url: doomed.url } });
  let kills = 0;
  const taken = new Set<string>();
  // Every task taken that does not end is a worker lost: killed with SIGKILL, another started in its place.
  const killer = setInterval(() => void queue.getActive().then((jobs) => {
    const fresh = jobs.filter((job) => !taken.has(`${job.id}@${job.processedOn}`));
    if (fresh.length === 0) return;
    for (const job of fresh) taken.add(`${job.id}@${job.processedOn}`);
    worker.kill('SIGKILL');
    kills++;
    worker = startWorker(doomed.url);
  }).catch(() => {}), 200);
  const out = join(scratch, 'doomed.parquet');
  const error = await runJob({ root, out, queue: { url: doomed.url, work } }).then(() => null, (failure: Error) => failure);
  clearInterval(killer);
  assert.instance(error, ConsentMetricsError);
  assert.is(error!.message, 'read task 2021-01-23-11.0 was lost with its worker 3 times (each worker process stopped mid-task: killed, or out of memory?): see the workers\' logs and memory limits');
  assert.ok(kills >= 3, `${kills} workers killed`);
  assert.is(await stat(out).catch(() => null), null);
  await emptyWork();
  worker.kill('SIGKILL');
  await queue.close();
  await doomed.stop();
  await rm(root, { recursive: true, force: true });
  await rm(join(scratch, 'doomed-pipe'));
});

/** A worker whose stderr is kept, on `queue`. */
function startWatchedWorker(queue: string, env: Record<string, string> = {}): { child: ChildProcess; stderr: () => string; stderrEnded: Promise<void> } {
  let stderr = '';
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'worker', '--queue', queue, '--lock-duration', '2'], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, AWS_ACCESS_KEY_ID: S3RVER_CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: S3RVER_CREDENTIALS.secretAccessKey, AWS_REGION: 'us-east-1', ...env },
  });
  child.stderr!.on('data', (chunk) => (stderr += chunk));
  // A process may exit before its stderr is all read: what it wrote last arrives by this stream's end.
  const stderrEnded = new Promise<void>((resolve) => child.stderr!.once('close', () => resolve()));
  workers.push(child);
  return { child, stderr: () => stderr, stderrEnded };
}
/** The child's exit, or `'still running'` after `milliseconds` (a worker that never stops fails the test, not hangs it). */
const exitWithin = (child: ChildProcess, milliseconds: number) =>
  Promise.race([exitOf(child), new Promise<string>((resolve) => setTimeout(() => resolve('still running'), milliseconds))]);
async function until(condition: () => boolean, what: string, seconds = 20) {
  for (const started = performance.now(); !condition(); await new Promise((resolve) => setTimeout(resolve, 50))) {
    if (performance.now() - started > seconds * 1000) throw new Error(`waited ${seconds} s for ${what}`);
  }
}

test('a worker running a local run\'s tasks loads no AWS SDK module (~0.2 s of CPU a process): it loads for S3 runs only', async () => {
  const own = await startRedis();
  try {
    const watched = startWatchedWorker(own.url, { NODE_DEBUG: 'esm,module' }); // names every module loaded
    // Started before the run: a worker of an earlier test, retrying a stopped Redis that had this port, must not take its tasks alone.
    await until(() => watched.stderr().includes('consent-metrics worker: taking tasks from'), 'the watched worker to start', 60);
    const golden = goldenCases().find((candidate) => candidate.name === 'tokens')!;
    assert.is(rowsDiffer(rowsOf(await runJob({ root: golden.root, queue: { url: own.url, work } })), golden.rows), null);
    watched.child.kill('SIGTERM');
    await exitOf(watched.child);
    await watched.stderrEnded;
    assert.match(watched.stderr(), /bullmq/, 'the modules loaded are named');
    assert.not.match(watched.stderr(), /@aws-sdk|@smithy/);
  } finally {
    await own.stop();
  }
});

test('an idle worker whose Redis goes away says so once, says when it is back, and stops within seconds of SIGTERM with Redis away', async () => {
  let own = await startRedis();
  const { child, stderr } = startWatchedWorker(own.url);
  await until(() => stderr().includes('taking tasks'), 'the worker to start');
  await own.stop();
  await until(() => stderr().includes('lost redis://'), 'the worker to say it lost Redis');
  await new Promise((resolve) => setTimeout(resolve, 3000)); // several reconnection attempts
  assert.is(stderr().split('lost redis://').length - 1, 1, `said once: ${stderr()}`);
  assert.match(stderr(), /consent-metrics worker: lost redis:\/\/127\.0\.0\.1:\d+ \(.+\); reconnecting/);
  own = await startRedis(own.port);
  await until(() => stderr().includes('back on redis://'), 'the worker to say Redis is back');
  await own.stop();
  await until(() => stderr().split('lost redis://').length - 1 === 2, 'the second loss');
  const started = performance.now();
  child.kill('SIGTERM');
  assert.equal(await exitWithin(child, 10_000), { code: 0, signal: null });
  assert.ok(performance.now() - started < 5000, `stopped in ${((performance.now() - started) / 1000).toFixed(1)} s`);
});

test('a busy worker whose Redis goes away stops within seconds of SIGTERM; its task is left to the stalled-job check', async () => {
  const own = await startRedis();
  const s3 = await startS3rver(['events']);
  const proxy = await startFaultProxy(s3.endpoint, s3.directory, ({ kind }) => (kind === 'get_object' ? 'drip_slow' : undefined));
  try {
    // One object of ~1 MB that drips: its read task takes ~20 s.
    const body = Array.from({ length: 4000 }, (_, i) => JSON.stringify({ id: `e${i}`, type: 'pageview', domain: 'a.com', user: { id: `u${i}`, country: 'FR' } }).padEnd(250)).join('\n') + '\n';
    await s3.client.send(new PutObjectCommand({ Bucket: 'events', Key: 'slow/datehour=2021-01-23-10/part-0.json', Body: body }));
    const { child, stderr } = startWatchedWorker(own.url);
    await until(() => stderr().includes('taking tasks'), 'the worker to start');
    const run = runJob({ root: 's3://events/slow', queue: { url: own.url, work, timeout: 1000 }, s3: { endpoint: proxy.endpoint, credentials: S3RVER_CREDENTIALS, region: 'us-east-1' } })
      .then(() => null, (error: Error) => error);
    await until(() => proxy.injected.drip_slow > 0, 'the read task to start reading');
    await own.stop();
    await until(() => stderr().includes('lost redis://'), 'the worker to say it lost Redis');
    const started = performance.now();
    child.kill('SIGTERM');
    assert.equal(await exitWithin(child, 10_000), { code: 0, signal: null });
    assert.ok(performance.now() - started < 5000, `stopped in ${((performance.now() - started) / 1000).toFixed(1)} s with a task in hand`);
    assert.match(String((await run)?.message), /^lost the queue at redis:/);
  } finally {
    await proxy.stop();
    await s3.stop();
  }
});

uvuTest.after(async () => {
  for (const worker of workers) worker.kill('SIGKILL');
  await redis.stop();
  await rm(scratch, { recursive: true, force: true });
});
uvuTest.run();
