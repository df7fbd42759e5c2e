// Incremental runs on S3 for real: raw input, state and output in s3rver, through the test proxy,
// which adds S3's conditional write (`If-None-Match: *`) that s3rver ignores. Each run equals a
// stateless run byte for byte; a run with nothing new GETs no raw object; two runs racing for the
// same manifest generation cannot both commit.
import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runJob, type JobResult } from '../../src/index.ts';
import { openStateStore } from '../../src/state/openStateStore.ts';
import { startFaultProxy, type ProxiedRequest } from '../support/faultProxy.ts';
import { consecutiveDatehours, retriedEvents } from '../support/retriedEvents.ts';
import { S3RVER_CREDENTIALS, startS3rver } from '../support/startS3rver.ts';

const server = await startS3rver(['events', 'results']);
const seen: ProxiedRequest[] = [];
const proxy = await startFaultProxy(server.endpoint, server.directory, (request) => void seen.push(request));
const scratch = await mkdtemp(join(tmpdir(), 'consent-metrics-state-s3-'));
const s3 = { endpoint: proxy.endpoint, credentials: S3RVER_CREDENTIALS, region: 'us-east-1' };
const HOURS = consecutiveDatehours('2021-01-23-00', 6);
const partitions = retriedEvents({ datehours: HOURS, seed: 31, eventsPerHour: 300 });

const putHour = (datehour: string) => Promise.all(partitions.get(datehour)!.map((text, file) =>
  server.client.send(new PutObjectCommand({ Bucket: 'events', Key: `raw/datehour=${datehour}/part-${file}.json`, Body: text }))));
async function download(key: string): Promise<Buffer> {
  const { Body } = await server.client.send(new GetObjectCommand({ Bucket: 'results', Key: key }));
  return Buffer.from(await Body!.transformToByteArray());
}
async function assertEqualsStateless(result: JobResult) {
  const stateless = await runJob({ root: 's3://events/raw', out: 's3://results/stateless.parquet', s3 });
  assert.ok((await download('incremental.parquet')).equals(await download('stateless.parquet')), 'the same Parquet bytes');
  assert.is(result.report.events, stateless.report.events);
  assert.is(result.report.duplicates, stateless.report.duplicates);
}
const incremental = () => runJob({ root: 's3://events/raw', state: { location: 's3://results/state/' }, out: 's3://results/incremental.parquet', s3 });
const rawGets = () => seen.filter((request) => request.kind === 'get_object' && request.path.startsWith('/events/')).length;

test('S3: hours one at a time, a late file, a deleted file, a replaced one, then nothing new: exact, and the last run GETs no raw object', async () => {
  for (const datehour of HOURS) {
    await putHour(datehour);
    const result = await incremental();
    assert.equal(result.report.state!.read, [datehour]);
    await assertEqualsStateless(result);
  }
  await server.client.send(new PutObjectCommand({ Bucket: 'events', Key: `raw/datehour=${HOURS[1]}/part-9.json`, Body: partitions.get(HOURS[4]!)![0]! }));
  const late = await incremental();
  assert.equal(late.report.state!.why, { [HOURS[1]!]: 'files added' });
  assert.equal(late.report.state!.recounted, HOURS.slice(2));
  await assertEqualsStateless(late);
  await server.client.send(new DeleteObjectCommand({ Bucket: 'events', Key: `raw/datehour=${HOURS[3]}/part-0.json` }));
  const deleted = await incremental();
  assert.equal(deleted.report.state!.why, { [HOURS[3]!]: 'files removed' });
  await assertEqualsStateless(deleted);

  await server.client.send(new PutObjectCommand({ Bucket: 'events', Key: `raw/datehour=${HOURS[4]}/part-1.json`, Body: partitions.get(HOURS[0]!)![1]! }));
  const replaced = await incremental();
  assert.equal(replaced.report.state!.why, { [HOURS[4]!]: 'files replaced' }, 'another ETag');
  await assertEqualsStateless(replaced);

  seen.length = 0;
  const idle = await incremental();
  assert.is(rawGets(), 0, 'no raw object read');
  assert.equal(idle.report.state!.read, []);
  assert.equal(idle.written, []);
  assert.equal(seen.filter((request) => request.method === 'PUT' && !request.path.endsWith('/lock.json')).map((request) => request.path), [], 'nothing written but the lock');
});

test('S3: the conditional manifest write lets one of two racing writers win', async () => {
  const store = await openStateStore('s3://results/race/', s3);
  const outcomes = await Promise.all(Array.from({ length: 4 }, (_, writer) => store.putIfAbsent('manifest-000000000001.json', new TextEncoder().encode(`writer ${writer}`))));
  assert.is(outcomes.filter(Boolean).length, 1);
  assert.is(new TextDecoder().decode(await store.get('manifest-000000000001.json')), `writer ${outcomes.indexOf(true)}`);
  assert.is(await store.putIfAbsent('manifest-000000000002.json', new Uint8Array(1)), true);
});

test.after(async () => {
  await proxy.stop();
  await server.stop();
  await rm(scratch, { recursive: true, force: true });
});
test.run();
