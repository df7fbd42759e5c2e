// S3 writing against aws-sdk-client-mock: one PutObject when small, multipart when large, aborted on failure.
import {
  AbortMultipartUploadCommand, CompleteMultipartUploadCommand, CreateMultipartUploadCommand, PutObjectCommand, S3Client,
  S3ServiceException, UploadPartCommand,
} from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ConsentMetricsError, openSink, s3Sink } from '../../src/index.ts';

const client = new S3Client({ region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
const s3 = mockClient(client);
const MiB = 1024 * 1024;

test.before.each(() => {
  s3.reset();
});

test('a small file is one PutObject at the key under the prefix', async () => {
  s3.on(PutObjectCommand).resolves({});
  const { sink, key, byDatehour } = await openSink('s3://results/metrics/all.parquet', { client });
  assert.equal([key, byDatehour], ['all.parquet', false]);
  await sink.write([{ key, bytes: new Uint8Array([1, 2, 3]) }]);
  const calls = s3.commandCalls(PutObjectCommand);
  assert.is(calls.length, 1);
  assert.equal(calls[0]!.args[0].input, { Bucket: 'results', Key: 'metrics/all.parquet', Body: new Uint8Array([1, 2, 3]), ContentType: 'application/vnd.apache.parquet' });
  assert.is(s3.commandCalls(CreateMultipartUploadCommand).length, 0);
});

test('a large file is a multipart upload of part-size parts', async () => {
  s3.on(CreateMultipartUploadCommand).resolves({ UploadId: 'u1' });
  s3.on(UploadPartCommand).callsFake(async ({ PartNumber }: { PartNumber: number }) => ({ ETag: `"e${PartNumber}"` }));
  s3.on(CompleteMultipartUploadCommand).resolves({});
  await s3Sink('s3://results/big/', { client, partSize: 5 * MiB }).write([{ key: 'x.parquet', bytes: new Uint8Array(11 * MiB) }]);
  assert.is(s3.commandCalls(PutObjectCommand).length, 0);
  assert.equal(s3.commandCalls(UploadPartCommand).map((call) => call.args[0].input.PartNumber).sort(), [1, 2, 3]);
  const complete = s3.commandCalls(CompleteMultipartUploadCommand)[0]!.args[0].input;
  assert.equal([complete.Bucket, complete.Key, complete.UploadId, complete.MultipartUpload?.Parts?.length], ['results', 'big/x.parquet', 'u1', 3]);
});

test('a failed part aborts the multipart upload, so no parts are left behind', async () => {
  s3.on(CreateMultipartUploadCommand).resolves({ UploadId: 'u2' });
  s3.on(UploadPartCommand).rejects(new S3ServiceException({ name: 'AccessDenied', $fault: 'client', $metadata: { httpStatusCode: 403 }, message: 'no' }));
  s3.on(AbortMultipartUploadCommand).resolves({});
  try {
    await s3Sink('s3://results/big/', { client, partSize: 5 * MiB }).write([{ key: 'x.parquet', bytes: new Uint8Array(11 * MiB) }]);
    assert.unreachable();
  } catch (error) {
    assert.instance(error, ConsentMetricsError);
    assert.is((error as Error).message, 'access denied writing s3://results/big/x.parquet');
  }
  assert.equal(s3.commandCalls(AbortMultipartUploadCommand).map((call) => call.args[0].input), [{ Bucket: 'results', Key: 'big/x.parquet', UploadId: 'u2' }]);
  assert.is(s3.commandCalls(CompleteMultipartUploadCommand).length, 0);
});

/** `total` bytes in chunks of 1 MiB, byte i being i % 251; then `failure`, if given. */
async function* chunksOf(total: number, failure?: Error) {
  for (let at = 0; at < total; at += MiB) yield Uint8Array.from({ length: Math.min(MiB, total - at) }, (_, index) => (at + index) % 251);
  if (failure) throw failure;
}

test('written from chunks, a small file is one PutObject of all their bytes', async () => {
  s3.on(PutObjectCommand).resolves({});
  await s3Sink('s3://results/m/', { client, partSize: 5 * MiB }).writeFrom!('all.parquet', chunksOf(2 * MiB + 3));
  const [call] = s3.commandCalls(PutObjectCommand);
  const body = call!.args[0].input.Body as Uint8Array;
  assert.equal([call!.args[0].input.Key, body.length], ['m/all.parquet', 2 * MiB + 3]);
  assert.ok(body.every((byte, index) => byte === index % 251));
  assert.is(s3.commandCalls(CreateMultipartUploadCommand).length, 0);
});

test('written from chunks, a large file is a multipart upload of its bytes in order', async () => {
  const parts = new Map<number, Uint8Array>();
  s3.on(CreateMultipartUploadCommand).resolves({ UploadId: 'u3' });
  s3.on(UploadPartCommand).callsFake(async ({ PartNumber, Body }: { PartNumber: number; Body: Uint8Array }) => (parts.set(PartNumber, Body), { ETag: `"e${PartNumber}"` }));
  s3.on(CompleteMultipartUploadCommand).resolves({});
  await s3Sink('s3://results/big/', { client, partSize: 5 * MiB }).writeFrom!('x.parquet', chunksOf(11 * MiB));
  assert.equal([...parts.keys()].sort(), [1, 2, 3]);
  const joined = Buffer.concat([1, 2, 3].map((part) => parts.get(part)!));
  assert.is(joined.length, 11 * MiB);
  assert.ok(joined.every((byte, index) => byte === index % 251));
  assert.is(s3.commandCalls(CompleteMultipartUploadCommand)[0]!.args[0].input.MultipartUpload?.Parts?.length, 3);
});

test('chunks that fail after a part was sent: their own error, the upload aborted, nothing completed', async () => {
  s3.on(CreateMultipartUploadCommand).resolves({ UploadId: 'u4' });
  s3.on(UploadPartCommand).callsFake(async ({ PartNumber }: { PartNumber: number }) => ({ ETag: `"e${PartNumber}"` }));
  s3.on(AbortMultipartUploadCommand).resolves({});
  const lost = new Error('count file gone');
  try {
    await s3Sink('s3://results/big/', { client, partSize: 5 * MiB }).writeFrom!('x.parquet', chunksOf(7 * MiB, lost));
    assert.unreachable();
  } catch (error) {
    assert.is(error, lost);
  }
  assert.equal(s3.commandCalls(AbortMultipartUploadCommand).map((call) => call.args[0].input.UploadId), ['u4']);
  assert.is(s3.commandCalls(CompleteMultipartUploadCommand).length + s3.commandCalls(PutObjectCommand).length, 0);
});

test('a missing output bucket names it', async () => {
  s3.on(PutObjectCommand).rejects(new S3ServiceException({ name: 'NoSuchBucket', $fault: 'client', $metadata: { httpStatusCode: 404 }, message: 'x' }));
  try {
    await s3Sink('s3://gone/m/', { client }).write([{ key: 'a.parquet', bytes: new Uint8Array(1) }]);
    assert.unreachable();
  } catch (error) {
    assert.is((error as Error).message, 'bucket not found: s3://gone');
  }
});

test.run();
