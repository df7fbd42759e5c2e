import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isS3Url, parseS3Url } from '../../src/index.ts';

test('bucket and key, with or without a trailing slash', () => {
  assert.equal(parseS3Url('s3://events/raw/2021'), { bucket: 'events', key: 'raw/2021' });
  assert.equal(parseS3Url('s3://events/raw/'), { bucket: 'events', key: 'raw/' });
  assert.equal(parseS3Url('s3://events'), { bucket: 'events', key: '' });
  assert.equal(parseS3Url('s3://events/'), { bucket: 'events', key: '' });
});

test('not an S3 URL', () => {
  assert.ok(isS3Url('s3://b/k'));
  assert.not.ok(isS3Url('/data/s3://b'));
  assert.throws(() => parseS3Url('s3:///key'), /expected s3:\/\/bucket\/key, got 's3:\/\/\/key'/);
});

test.run();
