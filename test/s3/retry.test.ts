// Throttling and 5xx are retried by the SDK's retry strategy as createS3Client configures it. The mock
// library replaces send() and so skips retries; this test instead fakes the HTTP layer under the real
// middleware stack.
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { Readable } from 'node:stream';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createS3Client } from '../../src/index.ts';

const LISTING = '<?xml version="1.0" encoding="UTF-8"?><ListBucketResult><Name>events</Name><Prefix>raw/</Prefix><KeyCount>1</KeyCount>'
  + '<MaxKeys>1000</MaxKeys><IsTruncated>false</IsTruncated><Contents><Key>raw/a.json</Key><Size>1</Size></Contents></ListBucketResult>';
const ERRORS: Record<number, string> = { 403: 'AccessDenied', 500: 'InternalError', 503: 'SlowDown' };
const errorBody = (status: number) => `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${ERRORS[status]}</Code><Message>m</Message></Error>`;

/** A client whose HTTP layer answers each request with the next of `statuses` (then 200 with a listing). */
function clientAnswering(statuses: number[], maxAttempts?: number) {
  const seen: number[] = [];
  const client = createS3Client({ endpoint: 'http://127.0.0.1:9', region: 'us-east-1', maxAttempts });
  client.config.credentials = async () => ({ accessKeyId: 'test', secretAccessKey: 'test' });
  client.config.requestHandler = {
    handle: async () => {
      const statusCode = statuses[seen.length] ?? 200;
      seen.push(statusCode);
      const body = statusCode === 200 ? LISTING : errorBody(statusCode);
      return { response: { statusCode, reason: '', headers: { 'content-type': 'application/xml' }, body: Readable.from([Buffer.from(body)]) } };
    },
  } as never;
  return { client, seen };
}

test('503 SlowDown and 500 are retried with backoff, then the call succeeds', async () => {
  const { client, seen } = clientAnswering([503, 500]);
  const result = await client.send(new ListObjectsV2Command({ Bucket: 'events', Prefix: 'raw/' }));
  assert.equal(seen, [503, 500, 200]);
  assert.is(result.Contents?.[0]?.Key, 'raw/a.json');
});

test('retries stop at maxAttempts and the throttling error surfaces', async () => {
  const { client, seen } = clientAnswering([503, 503, 503, 503], 2);
  try {
    await client.send(new ListObjectsV2Command({ Bucket: 'events', Prefix: 'raw/' }));
    assert.unreachable();
  } catch (error) {
    assert.is((error as Error).name, 'SlowDown');
  }
  assert.equal(seen, [503, 503]);
});

test('a 403 is not retried', async () => {
  const { client, seen } = clientAnswering([403]);
  const error = await client.send(new ListObjectsV2Command({ Bucket: 'events', Prefix: 'raw/' })).catch((e: Error) => e);
  assert.is((error as Error).name, 'AccessDenied');
  assert.equal(seen, [403]);
});

test.run();
