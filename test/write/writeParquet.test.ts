import * as aq from 'arquero';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tableFromIPC } from 'apache-arrow';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ConsentMetricsError, localSink, metricsToArrowIPC, openSink, writeParquet } from '../../src/index.ts';
import { readParquetBack, SPEC_PARQUET_SCHEMA } from '../support/readParquetBack.ts';

const metrics = aq.table({
  datehour: ['2021-01-23-10', '2021-01-23-11'], domain: ['a', null], country: ['FR', 'ES'],
  pageviews: [3, 0], pageviews_with_consent: [1, 0], consents_asked: [0, 2], consents_asked_with_consent: [0, 1],
  consents_given: [5, 0], consents_given_with_consent: [2 ** 40, 0], avg_pageviews_per_user: [1.5, 0],
});
const scratch = await mkdtemp(join(tmpdir(), 'consent-metrics-write-'));

test('Arrow IPC carries the SPEC types even where values would fit a narrower type', () => {
  const table = tableFromIPC(metricsToArrowIPC(metrics));
  assert.equal(table.schema.fields.map((field) => `${field.name}: ${field.type}`), [
    'datehour: Utf8', 'domain: Utf8', 'country: Utf8', 'pageviews: Int64', 'pageviews_with_consent: Int64',
    'consents_asked: Int64', 'consents_asked_with_consent: Int64', 'consents_given: Int64', 'consents_given_with_consent: Int64',
    'avg_pageviews_per_user: Float64',
  ]);
});

for (const [compression, codec] of [['snappy', 'SNAPPY'], ['zstd', 'ZSTD'], ['none', 'UNCOMPRESSED']] as const) {
  test(`${compression}: the file reads back with hyparquet, values, types and nulls intact`, async () => {
    const [written] = await writeParquet(metrics, localSink(scratch), `${compression}.parquet`, { compression });
    assert.is(written, join(scratch, `${compression}.parquet`));
    const back = await readParquetBack(written!);
    assert.equal(back.schema, SPEC_PARQUET_SCHEMA);
    assert.equal(back.codecs, [codec]);
    assert.equal(back.rows.map((row) => [row.domain, row.consents_given_with_consent, row.avg_pageviews_per_user]), [['a', 2n ** 40n, 1.5], [null, 0n, 0]]);
    // Counts delta-encoded (as small as a dictionary here, faster to write); text keys keep their dictionary.
    assert.ok(back.encodings.pageviews!.includes('DELTA_BINARY_PACKED') && !back.encodings.pageviews!.includes('RLE_DICTIONARY'), `pageviews: ${back.encodings.pageviews}`);
    assert.ok(back.encodings.domain!.includes('RLE_DICTIONARY'), `domain: ${back.encodings.domain}`);
  });
}

test('one file per datehour, an empty one for a datehour without rows', async () => {
  const { sink, key, byDatehour } = await openSink(join(scratch, 'by-hour') + '/');
  assert.ok(byDatehour);
  await writeParquet(metrics, sink, key, { byDatehour: ['2021-01-23-10', '2021-01-23-11', '2021-01-23-12'] });
  const hours = (await readdir(join(scratch, 'by-hour'))).sort();
  assert.equal(hours, ['datehour=2021-01-23-10', 'datehour=2021-01-23-11', 'datehour=2021-01-23-12']);
  const rows = async (hour: string) => (await readParquetBack(join(scratch, 'by-hour', `datehour=${hour}`, 'part-0.parquet'))).rows;
  assert.equal((await rows('2021-01-23-11')).map((row) => row.consents_asked), [2n]);
  assert.equal(await rows('2021-01-23-12'), []);
});

test('a failed write leaves no temporary file and the earlier good file untouched', async () => {
  const folder = join(scratch, 'atomic');
  await mkdir(join(folder, 'blocked.parquet'), { recursive: true }); // a folder where a file should go: rename fails
  await writeFile(join(folder, 'good.parquet'), 'earlier run');
  try {
    await writeParquet(metrics, localSink(folder), '', { byDatehour: [] }); // nothing to write is fine
    await localSink(folder).write([
      { key: 'good.parquet', bytes: new Uint8Array([1, 2, 3]) },
      { key: 'blocked.parquet', bytes: new Uint8Array([4]) },
    ]);
    assert.unreachable('expected the write to fail');
  } catch (error) {
    assert.instance(error, ConsentMetricsError);
    assert.match((error as Error).message, /^cannot write .*blocked\.parquet: E/);
  }
  assert.is(await readFile(join(folder, 'good.parquet'), 'utf8'), 'earlier run');
  assert.equal((await readdir(folder)).sort(), ['blocked.parquet', 'good.parquet']);
});

test.after(() => rm(scratch, { recursive: true, force: true }));
test.run();
