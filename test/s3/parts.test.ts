// Large S3 objects read as parallel byte ranges, and S3 objects parsed on worker threads that fetch them
// themselves: against s3rver through the fault proxy, parts cut for real, results compared with the
// bytes uploaded and with a run over the same files on disk.
import { ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createS3Client, runJob } from '../../src/index.ts';
import { PART_BYTES, readObjectInParts, SPLIT_ABOVE } from '../../src/s3/readObjectInParts.ts';
import { retryCountsOf } from '../../src/s3/retries.ts';
import { startFaultProxy, type ProxiedRequest } from '../support/faultProxy.ts';
import { eventLine } from '../support/memorySource.ts';
import { seededRandom } from '../support/random.ts';
import { S3RVER_CREDENTIALS, startS3rver } from '../support/startS3rver.ts';

const server = await startS3rver(['events']);
const proxy = await startFaultProxy(server.endpoint, server.directory);
const s3 = { endpoint: proxy.endpoint, credentials: S3RVER_CREDENTIALS, region: 'us-east-1', idleTimeout: 2_000 };
const scratch = await mkdtemp(join(tmpdir(), 'consent-metrics-parts-'));

const put = (key: string, body: Uint8Array | string) => server.client.send(new PutObjectCommand({ Bucket: 'events', Key: key, Body: body }));
const listed = async (key: string) => {
  const [object] = (await server.client.send(new ListObjectsV2Command({ Bucket: 'events', Prefix: key }))).Contents!;
  return { bucket: 'events', key, size: object!.Size!, etag: object!.ETag! };
};
const collect = async (chunks: AsyncIterable<Uint8Array>) => {
  const all: Uint8Array[] = [];
  for await (const chunk of chunks) all.push(chunk);
  return Buffer.concat(all);
};
/** GETs of `path` the proxy saw, by their Range header. */
const rangesSeen = (seen: ProxiedRequest[], path: string) => seen.filter((request) => request.kind === 'get_object' && decodeURIComponent(request.path) === path).map((request) => request.range ?? 'whole');

const small = Buffer.from(Array.from({ length: 300_000 }, (_, index) => 97 + ((index * 7) % 26)));
await put('bytes/small.bin', small);

test('an object above the split size comes in ranges of one version, in order, byte for byte', async () => {
  const seen: ProxiedRequest[] = [];
  proxy.set((request) => void seen.push(request));
  const client = createS3Client(s3);
  const bytes = await collect(await readObjectInParts(client, await listed('bytes/small.bin'), { partBytes: 65_536, splitAbove: 65_536, parallel: 3 }));
  assert.ok(bytes.equals(small), 'the bytes uploaded');
  assert.equal(rangesSeen(seen, '/events/bytes/small.bin'),
    ['bytes=0-65535', 'bytes=65536-131071', 'bytes=131072-196607', 'bytes=196608-262143', 'bytes=262144-299999']);
  client.destroy();
});

test('parts cut mid-body resume where they stopped: the same bytes, each cut counted', async () => {
  const cutOnce = new Set(['bytes=65536-131071', 'bytes=196608-262143']);
  proxy.set((request) => (request.range && cutOnce.delete(request.range) ? 'cut_body' : undefined));
  const client = createS3Client(s3);
  const bytes = await collect(await readObjectInParts(client, await listed('bytes/small.bin'), { partBytes: 65_536, splitAbove: 65_536, parallel: 3 }));
  assert.ok(bytes.equals(small), 'the bytes uploaded');
  assert.is(proxy.injected.cut_body, 2);
  assert.is((await retryCountsOf(client))!.body_cut, 2);
  client.destroy();
});

test('an object replaced after it was listed is a one-line error, not a mix of two versions', async () => {
  proxy.set(() => undefined);
  await put('bytes/replaced.bin', small);
  const before = await listed('bytes/replaced.bin');
  await put('bytes/replaced.bin', Buffer.from(small).reverse());
  const client = createS3Client(s3);
  const error = await readObjectInParts(client, before, { partBytes: 65_536, splitAbove: 65_536 }).then(collect).then(() => null, (e: Error) => e);
  assert.is(error?.message, 's3://events/bytes/replaced.bin was replaced while it was read; rerun to read the new version');
  client.destroy();
});

// One partition holding an object above the split size (in 8 MiB parts) and a small one.
const random = seededRandom(22);
const line = () => eventLine({
  id: `e${random.int(60_000)}`, user: `u${random.int(3_000)}`, domain: random.pick(['a.com', 'b.fr', 'c.de']), country: random.pick(['FR', 'DE', null]),
  type: random.pick(['pageview', 'consent.asked', 'consent.given']), token: random.chance(0.5) ? '{"purposes":{"enabled":["ads"]}}' : null,
});
const large: string[] = [];
for (let bytes = 0; bytes <= SPLIT_ABOVE + PART_BYTES / 4; ) bytes += (large[large.length] = line()).length + 1;
const files = { 'part-00000.json': large.join('\n') + '\n', 'part-00001.json': Array.from({ length: 2_000 }, line).join('\n') + '\n' };
const local = join(scratch, 'input', 'datehour=2021-01-23-10');
await mkdir(local, { recursive: true });
for (const [name, body] of Object.entries(files)) {
  await writeFile(join(local, name), body);
  await put(`job/datehour=2021-01-23-10/${name}`, body);
}

test('a job reads a large object in 8 MiB parts on its worker threads, equal to the run over local files, with a cut part counted', async () => {
  const expected = await runJob({ root: join(scratch, 'input') });
  const seen: ProxiedRequest[] = [];
  let cut = false;
  proxy.set((request) => {
    seen.push(request);
    if (request.range === `bytes=${PART_BYTES}-${2 * PART_BYTES - 1}` && !cut) return (cut = true), 'cut_body';
    return undefined;
  });
  const remote = await runJob({ root: 's3://events/job', s3 });
  assert.equal(remote.metrics.objects(), expected.metrics.objects());
  assert.is(remote.report.events, expected.report.events);
  assert.is(remote.report.duplicates, expected.report.duplicates);
  const size = Buffer.byteLength(files['part-00000.json']);
  assert.equal(rangesSeen(seen, '/events/job/datehour=2021-01-23-10/part-00000.json').sort(),
    [`bytes=0-${PART_BYTES - 1}`, `bytes=${PART_BYTES}-${2 * PART_BYTES - 1}`, `bytes=${2 * PART_BYTES}-${size - 1}`, `bytes=${PART_BYTES + PART_BYTES / 2}-${2 * PART_BYTES - 1}`].sort(),
    'three parts, and the rest of the one cut half-way');
  assert.equal(rangesSeen(seen, '/events/job/datehour=2021-01-23-10/part-00001.json'), ['whole']);
  assert.is(remote.report.retries.body_cut, 1, "counted by the worker thread's client, reported by the run");
  assert.ok(remote.times.besideMainThread.has('parse'), 'parsed on worker threads');
});

test.after(async () => {
  await proxy.stop();
  await server.stop();
  await rm(scratch, { recursive: true, force: true });
});
test.run();
