// Slow and stalled S3 bodies for real, through the fault proxy, with the default 30 s idle timeout:
// a stalled body is asked for again on another connection after ~2 s (not the idle timeout), bodies
// that drip with long pauses are never cut, and stalled uploads are sent again.
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import pMap from 'p-map';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createS3Client, noRetries, runJob, s3Sink, S3_DEFAULTS } from '../../src/index.ts';
import { startFaultProxy, type Fault, type ProxiedRequest } from '../support/faultProxy.ts';
import { eventLine } from '../support/memorySource.ts';
import { seededRandom } from '../support/random.ts';
import { runCliProcess } from '../support/runCliProcess.ts';
import { S3RVER_CREDENTIALS, startS3rver } from '../support/startS3rver.ts';

const server = await startS3rver(['events', 'results']);
const proxy = await startFaultProxy(server.endpoint, server.directory);
/** The defaults a user has: a 30 s idle timeout, stalls noticed from 2 s. */
const s3 = { endpoint: proxy.endpoint, credentials: S3RVER_CREDENTIALS, region: 'us-east-1' };
assert.is(S3_DEFAULTS.idleTimeout, 30_000);

/** `objects` objects over 3 hours, each of about `lines` lines, ids repeated across objects. */
async function upload(prefix: string, objects: number, lines: number, seed: number) {
  const random = seededRandom(seed);
  await pMap(Array.from({ length: objects }, (_, index) => index), async (index) => {
    const body = Array.from({ length: lines }, () => eventLine({
      id: `e${random.int(objects * lines)}`, user: `u${random.int(500)}`, domain: random.pick(['a.com', 'b.fr']), country: random.pick(['FR', 'DE']),
      type: random.pick(['pageview', 'consent.asked', 'consent.given']), token: random.chance(0.5) ? '{"purposes":{"enabled":["ads"]}}' : null,
    })).join('\n') + '\n';
    const key = `${prefix}/datehour=2021-01-23-1${index % 3}/part-${String(index).padStart(5, '0')}.json`;
    await server.client.send(new PutObjectCommand({ Bucket: 'events', Key: key, Body: body }));
  }, { concurrency: 8 });
}
await upload('small', 36, 150, 1);
await upload('large', 12, 2500, 2); // ~250 KB each: four 64 KiB pieces

/** A plan faulting the first GET of every fifth object (by key), and nothing else: retries go through. */
function firstGetOfEveryFifth(fault: Fault) {
  const seen = new Set<string>();
  return (request: ProxiedRequest): Fault | undefined => {
    if (request.kind !== 'get_object' || seen.has(request.path)) return undefined;
    seen.add(request.path);
    return Number(/part-(\d+)/.exec(request.path)?.[1]) % 5 === 0 ? fault : undefined;
  };
}
const timed = async <T>(run: () => Promise<T>) => {
  const started = performance.now();
  const result = await run();
  return { result, seconds: (performance.now() - started) / 1000 };
};

test('a fifth of the bodies stall half-way: the run is exact, in seconds rather than idle timeouts, each stall counted as body_slow', async () => {
  proxy.set(() => undefined);
  const clean = await timed(() => runJob({ root: 's3://events/small', s3 }));
  proxy.set(firstGetOfEveryFifth('stall_body'));
  const stalled = await timed(() => runJob({ root: 's3://events/small', s3 }));
  assert.is(proxy.injected.stall_body, 8, 'objects 0, 5, ..., 35');
  assert.equal(stalled.result.metrics.objects(), clean.result.metrics.objects());
  assert.is(stalled.result.report.duplicates, clean.result.report.duplicates);
  assert.equal(stalled.result.report.retries, { ...noRetries(), body_slow: 8 });
  // Eight idle timeouts one after another would be 240 s; the stalls overlap and each costs ~2 s.
  assert.ok(stalled.seconds < clean.seconds + 8, `${stalled.seconds.toFixed(1)} s against ${clean.seconds.toFixed(1)} s without faults`);
});

test('a fifth of the bodies drip (64 KiB, then 1.5 s of silence, to the end): exact, no body cut or asked for again', async () => {
  proxy.set(() => undefined);
  const clean = await runJob({ root: 's3://events/large', s3 });
  proxy.set(firstGetOfEveryFifth('drip_slow'));
  const dripped = await timed(() => runJob({ root: 's3://events/large', s3 }));
  assert.is(proxy.injected.drip_slow, 3, 'objects 0, 5 and 10');
  assert.equal(dripped.result.metrics.objects(), clean.metrics.objects());
  assert.equal(dripped.result.report.retries, noRetries(), 'a body that keeps moving is never taken for stalled');
  assert.ok(dripped.seconds > 4, `the drips were slow: ${dripped.seconds.toFixed(1)} s`);
});

test('the CLI takes --stall-timeout: stalled bodies asked for again after 0.5 s', async () => {
  proxy.set(firstGetOfEveryFifth('stall_body'));
  const env = { AWS_ACCESS_KEY_ID: S3RVER_CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: S3RVER_CREDENTIALS.secretAccessKey, AWS_REGION: 'us-east-1' };
  const reportPath = join(await mkdtemp(join(tmpdir(), 'consent-metrics-stalls-')), 'report.json');
  const { result: run, seconds } = await timed(() => runCliProcess(['s3://events/small', '--endpoint', proxy.endpoint, '--stall-timeout', '0.5', '--report', reportPath, '--limit', '0'], env));
  assert.is(run.code, 0, run.stderr);
  assert.equal(JSON.parse(await readFile(reportPath, 'utf8')).retries, { ...noRetries(), body_slow: 8 });
  assert.match(run.stderr, 'retried 8 S3 request(s) after network faults: 8 body_slow');
  await rm(dirname(reportPath), { recursive: true });
  assert.ok(seconds < 10, `${seconds.toFixed(1)} s`);
});

test('uploads: a PutObject and every UploadPart that stall are sent again after ~2 s, and the objects are whole', async () => {
  const stalledOnce = new Set<string>();
  proxy.set((request) => {
    if (request.kind !== 'put' || stalledOnce.has(request.url)) return undefined;
    stalledOnce.add(request.url);
    return 'stall_response'; // never answers, and never reads the rest of the body
  });
  const client = createS3Client(s3);
  const big = new Uint8Array(11 * 1024 * 1024).map((_, i) => (i * 2654435761) >>> 24);
  const small = new TextEncoder().encode('small object');
  const { seconds } = await timed(() => s3Sink('s3://results/stalled/', { client, partSize: 5 * 1024 * 1024 }).write([{ key: 'big.bin', bytes: big }, { key: 'small.bin', bytes: small }]));
  assert.is(proxy.injected.stall_response, 4, 'three parts and one PutObject, each stalled once');
  proxy.set(() => undefined);
  assert.ok(seconds < 15, `not the 30 s idle timeout: ${seconds.toFixed(1)} s`);
  const strategy = await client.config.retryStrategy();
  assert.is((strategy as unknown as { counts: Record<string, number> }).counts.upload_slow, 4);
  const download = async (key: string) => (await server.client.send(new GetObjectCommand({ Bucket: 'results', Key: key }))).Body!.transformToByteArray();
  assert.equal(await download('stalled/big.bin'), big);
  assert.equal(await download('stalled/small.bin'), small);
});

test.after(async () => {
  await proxy.stop();
  await server.stop();
});
test.run();
