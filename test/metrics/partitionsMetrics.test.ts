// The job makes its metrics for a batch of partitions at a time (one Arquero derive per batch): any
// batching must give the same rows, and the Parquet bytes must not depend on it either.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Table } from 'apache-arrow';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { localSink, METRIC_COLUMNS, writeParquet, type GroupCounts } from '../../src/index.ts';
import { partitionsMetrics } from '../../src/job/jobOutput.ts';

// Cells per group: pageviews with, without; asked with, without; given with, without.
const hour10: GroupCounts = {
  datehour: '2021-01-23-10', groups: 2, domainCodes: Int32Array.of(-1, 0), countryCodes: Int32Array.of(0, 1),
  domainValues: ['a.com'], countryValues: ['FR', 'DE'],
  n: Int32Array.of(3, 1, 0, 0, 2, 0, /**/ 0, 0, 4, 1, 0, 0), users: Int32Array.of(1, 1, 0, 0, 0, 0, /**/ 0, 0, 0, 0, 0, 0), kept: 11,
};
const hour11: GroupCounts = {
  datehour: '2021-01-23-11', groups: 1, domainCodes: Int32Array.of(0), countryCodes: Int32Array.of(-1),
  domainValues: ['b.org'], countryValues: [],
  n: Int32Array.of(0, 6, 1, 1, 0, 0), users: Int32Array.of(0, 4, 0, 0, 0, 0), kept: 8,
};
const rows = (table: Table) => table.toArray().map((row) => METRIC_COLUMNS.map((name) => String(row[name])));

test('metrics of two partitions in one batch: the rows of each batched alone, one after the other', () => {
  const together = rows(partitionsMetrics([hour10, hour11]));
  assert.equal(together, [...rows(partitionsMetrics([hour10])), ...rows(partitionsMetrics([hour11]))]);
  assert.equal(together, [
    // datehour, domain, country, pageviews, with consent, asked, with consent, given, with consent, average
    ['2021-01-23-10', 'null', 'FR', '4', '3', '0', '0', '2', '2', '2'],
    ['2021-01-23-10', 'a.com', 'DE', '0', '0', '5', '4', '0', '0', '0'],
    ['2021-01-23-11', 'b.org', 'null', '6', '0', '2', '1', '0', '0', '1.5'],
  ]);
});

test('the keys, made from the codes: non-ASCII values, a null value, a partition without groups, the output schema', () => {
  const accents: GroupCounts = {
    datehour: '2021-01-23-12', groups: 3, domainCodes: Int32Array.of(1, 0, 2), countryCodes: Int32Array.of(0, -1, 1),
    domainValues: ['crème.fr', 'b.org', null], countryValues: ['ÉS', 'DE'],
    n: Int32Array.from({ length: 18 }, (_, cell) => cell), users: new Int32Array(18).fill(1), kept: 0,
  };
  const none: GroupCounts = { ...hour11, datehour: '2021-01-23-13', groups: 0, domainCodes: new Int32Array(0), countryCodes: new Int32Array(0), n: new Int32Array(0), users: new Int32Array(0) };
  const table = partitionsMetrics([hour11, none, accents]);
  assert.equal(table.schema.fields.map(String), [
    'datehour: Utf8', 'domain: Utf8', 'country: Utf8', 'pageviews: Int64', 'pageviews_with_consent: Int64', 'consents_asked: Int64',
    'consents_asked_with_consent: Int64', 'consents_given: Int64', 'consents_given_with_consent: Int64', 'avg_pageviews_per_user: Float64',
  ]);
  assert.equal(rows(table).map((row) => row.slice(0, 4)), [
    ['2021-01-23-11', 'b.org', 'null', '6'],
    ['2021-01-23-12', 'b.org', 'ÉS', '1'], // cells 0 + 1
    ['2021-01-23-12', 'crème.fr', 'null', '13'], // 6 + 7
    ['2021-01-23-12', 'null', 'DE', '25'], // 12 + 13
  ]);
});

/** A partition of `groups` groups, each its own domain, with made-up counts. */
const manyGroups = (datehour: string, groups: number): GroupCounts => ({
  datehour, groups, domainCodes: Int32Array.from({ length: groups }, (_, group) => group), countryCodes: new Int32Array(groups),
  domainValues: Array.from({ length: groups }, (_, group) => `d${String(group).padStart(5, '0')}.com`), countryValues: ['FR'],
  n: Int32Array.from({ length: groups * 6 }, (_, cell) => (cell * 7) % 5), users: Int32Array.from({ length: groups * 6 }, (_, cell) => 1 + (cell % 2)), kept: 0,
});

test('the Parquet bytes are the same whether the metrics come in one batch or one per partition', async () => {
  const scratch = await mkdtemp(join(tmpdir(), 'consent-metrics-batches-'));
  // More rows than a Parquet page holds (20,000), so that pages would split where batches do.
  const hours = ['2021-01-23-10', '2021-01-23-11', '2021-01-23-12'].map((datehour) => manyGroups(datehour, 8_000));
  const oneBatch = partitionsMetrics(hours);
  const perPartition = partitionsMetrics(hours.slice(0, 1)).concat(...hours.slice(1).map((hour) => partitionsMetrics([hour])));
  assert.is(oneBatch.batches.length, 1);
  assert.is(perPartition.batches.length, 3);
  for (const [name, table] of [['one', oneBatch], ['three', perPartition]] as const) await writeParquet(table, localSink(scratch), `${name}.parquet`);
  assert.ok((await readFile(join(scratch, 'one.parquet'))).equals(await readFile(join(scratch, 'three.parquet'))));
  await rm(scratch, { recursive: true, force: true });
});

test.run();
