// One test per fixtures/<case>/: the job's rows and report against the case's expected.json, and the
// Parquet it writes read back with hyparquet (an independent reader), schema and types included.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { METRIC_COLUMNS, runJob } from '../src/index.ts';
import { goldenCases, rowsDiffer } from './support/fixtures.ts';
import { readParquetBack, SPEC_PARQUET_SCHEMA } from './support/readParquetBack.ts';

const scratch = await mkdtemp(join(tmpdir(), 'consent-metrics-golden-'));

for (const golden of goldenCases()) {
  test(`${golden.name}: ${golden.description}`, async () => {
    const out = join(scratch, `${golden.name}.parquet`);
    const { metrics, report } = await runJob({ root: golden.root, out, ...golden.options });

    const rows = metrics.objects().map((row) => METRIC_COLUMNS.map((name) => (row as Record<string, unknown>)[name]));
    assert.is(rowsDiffer(rows, golden.rows), null);
    const { lines, duplicates, rejected, invalid_tokens, files, partitions } = golden.report;
    assert.equal({ lines, duplicates, rejected, invalid_tokens }, {
      lines: report.lines, duplicates: report.duplicates, rejected: report.rejected, invalid_tokens: report.invalid_tokens,
    });
    assert.is(report.events, lines - duplicates - Object.values(rejected).reduce((a, b) => a + b, 0));
    if (files !== undefined) assert.is(report.files, files);
    if (partitions !== undefined) assert.equal(report.partitions, partitions);
    assert.is(report.warnings.length, golden.warnings ?? 0);

    const parquet = await readParquetBack(out);
    assert.equal(parquet.schema, SPEC_PARQUET_SCHEMA);
    assert.equal(parquet.codecs, ['SNAPPY']);
    const parquetRows = parquet.rows.map((row) => METRIC_COLUMNS.map((name) => {
      const value = row[name];
      return typeof value === 'bigint' ? Number(value) : value;
    }));
    assert.is(rowsDiffer(parquetRows, golden.rows), null);
  });
}

// Every case again with its files read in splits of 16 bytes (most lines a split of their own, many
// splits empty), deduplicated in 3 lanes of 5 buckets on 2 threads, each partition counted in 4 shards
// of its users on those threads; with one lane, in 2 shards; and parsed, deduplicated and counted on this
// thread alone: the same rows and report.
const variants = [
  { name: '3 dedup lanes, 4 count shards', options: { splitBytes: 16, workers: 2, dedupLanes: 3, buckets: 5, countShards: 4 } },
  { name: 'one lane, 2 count shards', options: { splitBytes: 16, workers: 2, countShards: 2 } },
  { name: 'no worker thread', options: { splitBytes: 16, workers: 0 } },
];
for (const golden of goldenCases()) for (const variant of variants) {
  test(`${golden.name}, in splits of 16 bytes, ${variant.name}: the same rows and report`, async () => {
    const { metrics, report } = await runJob({ root: golden.root, ...golden.options, ...variant.options });
    const rows = metrics.objects().map((row) => METRIC_COLUMNS.map((name) => (row as Record<string, unknown>)[name]));
    assert.is(rowsDiffer(rows, golden.rows), null);
    const { lines, duplicates, rejected, invalid_tokens } = golden.report;
    assert.equal({ lines, duplicates, rejected, invalid_tokens }, {
      lines: report.lines, duplicates: report.duplicates, rejected: report.rejected, invalid_tokens: report.invalid_tokens,
    });
    if (golden.report.files !== undefined) assert.is(report.files, golden.report.files);
  });
}

test.after(() => rm(scratch, { recursive: true, force: true }));
test.run();
