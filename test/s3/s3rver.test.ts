// Integration: the golden fixtures uploaded to a real S3 HTTP server (s3rver, started by this test),
// then the job run S3 -> S3 and S3 -> local; results must equal the local run's.
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { mkdtemp, readdir, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import pMap from 'p-map';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readEvents, readMetrics, runJob } from '../../src/index.ts';
import { referenceBreakdown, referenceEvents } from '../support/referenceAnalysis.ts';
import { FIXTURES, goldenCases } from '../support/fixtures.ts';
import { readParquetBack } from '../support/readParquetBack.ts';
import { runCliProcess } from '../support/runCliProcess.ts';
import { S3RVER_CREDENTIALS, startS3rver } from '../support/startS3rver.ts';
import { eventLine } from '../support/memorySource.ts';

const server = await startS3rver(['events', 'results']);
const scratch = await mkdtemp(join(tmpdir(), 'consent-metrics-s3-'));
const s3 = { client: server.client };
const cliEnv = {
  AWS_ACCESS_KEY_ID: S3RVER_CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: S3RVER_CREDENTIALS.secretAccessKey,
  AWS_ENDPOINT_URL_S3: server.endpoint, AWS_REGION: 'us-east-1',
};

async function filesUnder(folder: string): Promise<string[]> {
  const entries = await readdir(folder, { recursive: true, withFileTypes: true });
  return entries.filter((entry) => entry.isFile()).map((entry) => join(entry.parentPath, entry.name));
}
async function upload(folder: string, prefix: string) {
  await pMap(await filesUnder(folder), async (path) => {
    const Key = `${prefix}/${relative(folder, path)}`;
    await server.client.send(new PutObjectCommand({ Bucket: 'events', Key, Body: await readFile(path) }));
  }, { concurrency: 16 });
}
async function download(bucket: string, key: string, path: string) {
  const { Body } = await server.client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  await writeFile(path, await Body!.transformToByteArray());
  return path;
}
const counts = ({ lines, duplicates, rejected, invalid_tokens, files, partitions, events }: Awaited<ReturnType<typeof runJob>>['report']) =>
  ({ lines, duplicates, rejected, invalid_tokens, files, partitions, events });

const cases = goldenCases();
await upload(FIXTURES, 'golden');

for (const golden of cases) {
  test(`${golden.name}: S3 -> S3 gives the local result`, async () => {
    const local = await runJob({ root: golden.root, out: join(scratch, `${golden.name}.local.parquet`), ...golden.options });
    const remote = await runJob({ root: `s3://events/golden/${golden.name}/input`, out: `s3://results/${golden.name}.parquet`, s3, ...golden.options });
    assert.equal(remote.metrics.objects(), local.metrics.objects());
    assert.equal(counts(remote.report), counts(local.report));
    assert.equal(remote.written, [`s3://results/${golden.name}.parquet`]);
    const fromS3 = await readParquetBack(await download('results', `${golden.name}.parquet`, join(scratch, `${golden.name}.s3.parquet`)));
    const fromLocal = await readParquetBack(join(scratch, `${golden.name}.local.parquet`));
    assert.equal(fromS3, fromLocal);
  });
}

test('readMetrics reads back from S3 what a run wrote there: one file, and a folder of datehour files', async () => {
  const root = join(FIXTURES, 'example', 'input');
  const local = await runJob({ root });
  await runJob({ root, out: 's3://results/readback/one.parquet', s3 });
  await runJob({ root, out: 's3://results/readback/by-hour/', s3 });
  for (const path of ['s3://results/readback/one.parquet', 's3://results/readback/by-hour/']) {
    assert.equal((await readMetrics(path, { s3 })).objects(), local.metrics.objects(), path);
  }
});

test('the analyst views from S3: readEvents, a breakdown by day, and events written to S3 by the CLI, as the reference gives them', async () => {
  const local = join(FIXTURES, 'analyst-tokens', 'input');
  const root = 's3://events/golden/analyst-tokens/input';
  const expected = referenceEvents(local);
  assert.equal((await readEvents({ root, s3 })).objects(), expected.map((event) => ({ ...event })));
  const { metrics } = await runJob({ root, s3, by: 'vendor', grain: 'day' });
  assert.equal(metrics.objects().map((row) => Object.values(row)), referenceBreakdown(expected, 'vendor', { grain: 'day' }));
  const { code, stderr } = await runCliProcess(['events', root, '--out', 's3://results/events/'], cliEnv);
  assert.is(code, 0, stderr);
  const hours = [...new Set(expected.map((event) => event.datehour))];
  for (const datehour of hours) {
    const path = await download('results', `events/datehour=${datehour}/part-0.parquet`, join(scratch, `events-${datehour}.parquet`));
    const { rows } = await readParquetBack(path);
    assert.is(rows.length, expected.filter((event) => event.datehour === datehour).length, datehour);
  }
});

test('a partition of 1,050 objects: every listing page read, the result equal to local', async () => {
  const folder = join(scratch, 'big', 'datehour=2021-01-23-10');
  await mkdir(folder, { recursive: true });
  await pMap(Array.from({ length: 1050 }, (_, i) => i), (i) =>
    writeFile(join(folder, `part-${String(i).padStart(5, '0')}.json`), eventLine({ id: `e${i % 1000}`, user: `u${i % 7}`, country: i % 3 ? 'FR' : 'ES' }) + '\n'),
  { concurrency: 32 });
  await upload(join(scratch, 'big'), 'big');
  const local = await runJob({ root: join(scratch, 'big') });
  const remote = await runJob({ root: 's3://events/big', s3, concurrency: 16 });
  assert.equal([remote.report.files, remote.report.lines, remote.report.duplicates], [1050, 1050, 50]);
  assert.equal(remote.metrics.objects(), local.metrics.objects());
});

test('the CLI: S3 -> local, endpoint from AWS_ENDPOINT_URL_S3', async () => {
  const out = join(scratch, 'cli.parquet');
  const { code, stderr } = await runCliProcess(['s3://events/golden/example/input', '--out', out], cliEnv);
  assert.is(code, 0, stderr);
  const local = await readParquetBack(join(scratch, 'example.local.parquet'));
  assert.equal(await readParquetBack(out), local);
});

test('per-datehour output on S3: a rerun of one partition replaces exactly its file', async () => {
  const root = join(scratch, 'hourly-input');
  for (const hour of ['10', '11']) {
    await mkdir(join(root, `datehour=2021-01-23-${hour}`), { recursive: true });
    await writeFile(join(root, `datehour=2021-01-23-${hour}`, 'a.json'), eventLine({ id: hour }) + '\n');
  }
  await upload(root, 'hourly');
  const listing = async () => Object.fromEntries(((await server.client.send(new ListObjectsV2Command({ Bucket: 'results', Prefix: 'hourly/' }))).Contents ?? [])
    .map((object) => [object.Key, object.ETag]));
  let run = await runCliProcess(['s3://events/hourly', '--out', 's3://results/hourly/', '--endpoint', server.endpoint], cliEnv);
  assert.is(run.code, 0, run.stderr);
  const first = await listing();
  assert.equal(Object.keys(first), ['hourly/datehour=2021-01-23-10/part-0.parquet', 'hourly/datehour=2021-01-23-11/part-0.parquet']);

  await server.client.send(new PutObjectCommand({ Bucket: 'events', Key: 'hourly/datehour=2021-01-23-11/b.json', Body: eventLine({ id: 'new' }) }));
  run = await runCliProcess(['s3://events/hourly', '--partitions', '2021-01-23-11', '--out', 's3://results/hourly/', '--endpoint', server.endpoint], cliEnv);
  assert.is(run.code, 0, run.stderr);
  const second = await listing();
  assert.is(second['hourly/datehour=2021-01-23-10/part-0.parquet'], first['hourly/datehour=2021-01-23-10/part-0.parquet']);
  assert.is.not(second['hourly/datehour=2021-01-23-11/part-0.parquet'], first['hourly/datehour=2021-01-23-11/part-0.parquet']);
  const hour11 = await readParquetBack(await download('results', 'hourly/datehour=2021-01-23-11/part-0.parquet', join(scratch, 'h11.parquet')));
  assert.equal(hour11.rows.map((row) => row.pageviews), [2n]);
});

test('CLI errors against a real server: missing bucket, missing prefix, unreachable endpoint', async () => {
  const missingBucket = await runCliProcess(['s3://nope/raw'], cliEnv);
  assert.equal([missingBucket.code, missingBucket.stderr.trim()], [1, 'consent-metrics: bucket not found: s3://nope']);
  const missingPrefix = await runCliProcess(['s3://events/nothing-here'], cliEnv);
  assert.equal([missingPrefix.code, missingPrefix.stderr.trim()], [1, 'consent-metrics: nothing found under s3://events/nothing-here/']);
  const unreachable = await runCliProcess(['s3://events/golden', '--endpoint', 'http://127.0.0.1:1'], cliEnv);
  assert.equal([unreachable.code, unreachable.stderr.trim()], [1, 'consent-metrics: cannot reach S3 listing s3://events/golden/: ECONNREFUSED']);
});

test.after(async () => {
  await server.stop();
  await rm(scratch, { recursive: true, force: true });
});
test.run();
