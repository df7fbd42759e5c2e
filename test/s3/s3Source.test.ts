// S3 reading against aws-sdk-client-mock: pagination, the concurrency bound, and error messages.
import { GetObjectCommand, ListObjectsV2Command, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { sdkStreamMixin } from '@smithy/util-stream';
import { mockClient } from 'aws-sdk-client-mock';
import { Readable } from 'node:stream';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ConsentMetricsError, readObject, readPartitions, runJob, s3Source, selectPartitions } from '../../src/index.ts';
import { eventLine } from '../support/memorySource.ts';

const client = new S3Client({ region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
const s3 = mockClient(client);
const body = (text: string) => sdkStreamMixin(Readable.from([Buffer.from(text)]));
const serviceError = (name: string, status: number) =>
  new S3ServiceException({ name, $fault: 'client', $metadata: { httpStatusCode: status }, message: `${name} message` });

test.before.each(() => {
  s3.reset();
});

test('partitions and files are listed over every page, keys relative to the root', async () => {
  s3.on(ListObjectsV2Command, { Prefix: 'raw/', MaxKeys: 1 }).resolves({ KeyCount: 1 });
  s3.on(ListObjectsV2Command, { Prefix: 'raw/', Delimiter: '/' })
    .resolves({ CommonPrefixes: [{ Prefix: 'raw/datehour=2021-01-23-11/' }], IsTruncated: true, NextContinuationToken: 'p2' });
  s3.on(ListObjectsV2Command, { Prefix: 'raw/', Delimiter: '/', ContinuationToken: 'p2' })
    .resolves({ CommonPrefixes: [{ Prefix: 'raw/datehour=2021-01-23-10/' }], Contents: [{ Key: 'raw/README' }] });
  const pages = [['a', 'b'], ['c'], ['d', 'e']];
  pages.forEach((keys, page) => {
    s3.on(ListObjectsV2Command, { Prefix: 'raw/datehour=2021-01-23-10/', Delimiter: '/', ContinuationToken: page ? `f${page}` : undefined })
      .resolves({
        Contents: keys.map((key) => ({ Key: `raw/datehour=2021-01-23-10/${key}.json`, Size: key.charCodeAt(0) })),
        IsTruncated: page < pages.length - 1,
        NextContinuationToken: page < pages.length - 1 ? `f${page + 1}` : undefined,
      });
  });
  const source = await s3Source('s3://events/raw', { client });
  const { partitions } = await selectPartitions(source);
  assert.equal(partitions.map((p) => p.key), ['datehour=2021-01-23-10', 'datehour=2021-01-23-11']);
  assert.equal(await source.listFiles('datehour=2021-01-23-10'), ['a', 'b', 'c', 'd', 'e'].map((k) => `datehour=2021-01-23-10/${k}.json`));
  assert.is(source.describe('datehour=2021-01-23-10/a.json'), 's3://events/raw/datehour=2021-01-23-10/a.json');
  assert.equal(['a', 'c', 'e'].map((k) => source.sizeOf!(`datehour=2021-01-23-10/${k}.json`)), [97, 99, 101], 'sizes from the listing');
  assert.is(source.sizeOf!('datehour=2021-01-23-11/x.json'), undefined, 'not listed');
});

test('GetObject calls in flight never exceed the concurrency bound, and order is kept', async () => {
  const keys = Array.from({ length: 12 }, (_, i) => `raw/datehour=2021-01-23-10/part-${String(i).padStart(2, '0')}.json`);
  s3.on(ListObjectsV2Command).resolves({ KeyCount: 12, Contents: keys.map((Key) => ({ Key })) });
  let inFlight = 0;
  let maxInFlight = 0;
  s3.on(GetObjectCommand).callsFake(async ({ Key }: { Key: string }) => {
    maxInFlight = Math.max(maxInFlight, ++inFlight);
    const stream = Readable.from((async function* () {
      await new Promise((resolve) => setTimeout(resolve, 10));
      yield Buffer.from(eventLine({ id: Key }) + '\n');
      inFlight--;
    })());
    return { Body: sdkStreamMixin(stream) };
  });
  const source = await s3Source('s3://events/raw', { client });
  const partitions = [{ datehour: '2021-01-23-10', key: 'datehour=2021-01-23-10' }];
  const ids: string[] = [];
  for await (const { table } of readPartitions(source, partitions, { concurrency: 4 })) ids.push(...table.getChild('id')!.toArray());
  assert.is(maxInFlight, 4);
  assert.equal(ids, keys);
});

test('a reader that stops early lets go of the object\'s body at once', async () => {
  const stream = Readable.from((async function* () {
    for (let chunk = 0; chunk < 1000; chunk++) yield Buffer.alloc(1024, 0x20);
  })());
  s3.on(GetObjectCommand).resolves({ Body: sdkStreamMixin(stream) });
  for await (const chunk of await readObject(client, 'events', 'raw/big.json')) if (chunk.length > 0) break;
  assert.ok(stream.destroyed, 'the body was destroyed');
});

const failures: [string, () => void, RegExp][] = [
  ['a missing bucket', () => s3.on(ListObjectsV2Command).rejects(serviceError('NoSuchBucket', 404)), /^bucket not found: s3:\/\/events$/],
  ['a missing prefix', () => s3.on(ListObjectsV2Command).resolves({ KeyCount: 0 }), /^nothing found under s3:\/\/events\/raw\/$/],
  ['access denied', () => s3.on(ListObjectsV2Command).rejects(serviceError('AccessDenied', 403)), /^access denied listing s3:\/\/events\/raw\/$/],
  ['bad credentials', () => s3.on(ListObjectsV2Command).rejects(serviceError('InvalidAccessKeyId', 403)),
    /^bad or missing AWS credentials \(InvalidAccessKeyId\) listing s3:\/\/events\/raw\/$/],
  ['expired credentials', () => s3.on(ListObjectsV2Command).rejects(serviceError('ExpiredToken', 400)), /^bad or missing AWS credentials \(ExpiredToken\)/],
  ['a network failure', () => s3.on(ListObjectsV2Command).rejects(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' })),
    /^cannot reach S3 listing s3:\/\/events\/raw\/: ECONNREFUSED$/],
  ['an object gone between listing and reading', () => {
    s3.on(ListObjectsV2Command).resolves({ KeyCount: 1, CommonPrefixes: [{ Prefix: 'raw/datehour=2021-01-23-10/' }], Contents: [{ Key: 'raw/datehour=2021-01-23-10/a.json' }] });
    s3.on(GetObjectCommand).rejects(serviceError('NoSuchKey', 404));
  }, /^object not found: s3:\/\/events\/raw\/datehour=2021-01-23-10\/a\.json$/],
  // Every attempt cut: resumed through the client's own strategy (a plain S3Client: 3 attempts), then one line.
  ['a stream cut mid-read on every attempt', () => {
    s3.on(ListObjectsV2Command).resolves({ KeyCount: 1, CommonPrefixes: [{ Prefix: 'raw/datehour=2021-01-23-10/' }], Contents: [{ Key: 'raw/datehour=2021-01-23-10/a.json' }] });
    s3.on(GetObjectCommand).callsFake(async () => ({
      Body: sdkStreamMixin(Readable.from((async function* () { yield Buffer.from('{"id"'); throw new Error('socket hang up'); })())),
    }));
  }, /^cannot read s3:\/\/events\/raw\/datehour=2021-01-23-10\/a\.json: socket hang up \(after 3 attempt\(s\)\)$/],
];
for (const [what, arrange, message] of failures) {
  test(`${what}: one line naming bucket and key or prefix`, async () => {
    arrange();
    try {
      await runJob({ root: 's3://events/raw', s3: { client } });
      assert.unreachable('expected a failure');
    } catch (error) {
      assert.instance(error, ConsentMetricsError);
      assert.match((error as Error).message, message);
      assert.not.match((error as Error).message, /test|secret/i);
    }
  });
}

test('the same metrics from S3 as from a local folder', async () => {
  const lines = [eventLine({ id: 'a' }), eventLine({ id: 'b', type: 'consent.given', token: '{"purposes":{"enabled":["x"]}}' }), eventLine({ id: 'a' })];
  s3.on(ListObjectsV2Command).resolves({ KeyCount: 1, CommonPrefixes: [{ Prefix: 'raw/datehour=2021-01-23-10/' }], Contents: [{ Key: 'raw/datehour=2021-01-23-10/a.json' }] });
  s3.on(GetObjectCommand).callsFake(async () => ({ Body: body(lines.join('\n')) }));
  const { metrics, report } = await runJob({ root: 's3://events/raw', s3: { client } });
  assert.equal(metrics.objects(), [{
    datehour: '2021-01-23-10', domain: 'd1', country: 'FR', pageviews: 1, pageviews_with_consent: 0, consents_asked: 0,
    consents_asked_with_consent: 0, consents_given: 1, consents_given_with_consent: 1, avg_pageviews_per_user: 1,
  }]);
  assert.equal([report.lines, report.duplicates], [3, 1]);
  assert.equal(report.examples, []);
});

test.run();
