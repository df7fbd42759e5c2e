// Reading back what the job wrote (readMetrics), and writing any table (writeTable), each checked with a
// reader other than the one it uses: hyparquet for Parquet, apache-arrow for IPC, plain parsing for CSV
// and JSON Lines.
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tableFromIPC, tableFromArrays } from 'apache-arrow';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { aq, op, OptionError, readMetrics, runJob, writeTable } from '../../src/index.ts';
import { FIXTURES } from '../support/fixtures.ts';
import { readParquetBack } from '../support/readParquetBack.ts';

const scratch = await mkdtemp(join(tmpdir(), 'consent-metrics-tables-'));
const root = join(FIXTURES, 'example', 'input');
const result = await runJob({ root, out: join(scratch, 'metrics.parquet') });
await runJob({ root, out: join(scratch, 'by-hour') + '/' });
const expected = result.metrics.objects();

test('readMetrics: a file and a folder of datehour files give the run\'s rows, counts as plain numbers', async () => {
  for (const path of [join(scratch, 'metrics.parquet'), join(scratch, 'by-hour') + '/']) {
    const back = await readMetrics(path);
    assert.equal(back.objects(), expected, path);
    assert.is(typeof back.get('pageviews', 0), 'number', 'int64 as a number, not a BigInt');
  }
  const missing = await readMetrics(join(scratch, 'metrics.parquet') + '/').catch((failure: Error) => failure);
  assert.match((missing as Error).message, /^input is not a folder: .*metrics\.parquet$/, 'a file given as a folder');
});

test('readMetrics on a file that is not Parquet: one line naming it', async () => {
  const error = await readMetrics(join(root, 'datehour=2021-01-23-10', 'part-00000-9b503de5-0d72-4099-a388-7fdcf6e16edb.c000.json')).catch((failure: Error) => failure);
  assert.instance(error, Error);
  assert.match((error as Error).message, /c000\.json is not a Parquet file we can read: /);
});

test('writeTable: an Arquero table as Parquet, CSV, JSON Lines and Arrow IPC, each read back by another reader', async () => {
  const table = aq.table({ domain: ['a.com', 'b.org', null], n: [1, 22, 333], rate: [0.5, 1 / 3, 0] }).derive({ twice: (d: { n: number }) => op.abs(d.n) * 2 });
  const rows = table.objects();
  const parquet = await writeTable(table, join(scratch, 'out.parquet'));
  assert.is(parquet, join(scratch, 'out.parquet'));
  const fromParquet = (await readParquetBack(parquet)).rows.map((row) => Object.fromEntries(Object.entries(row).map(([key, value]) => [key, typeof value === 'bigint' ? Number(value) : value])));
  assert.equal(fromParquet, rows);
  const csv = (await readFile(await writeTable(table, join(scratch, 'out.csv')), 'utf8')).trim().split('\n');
  assert.equal(csv, ['domain,n,rate,twice', 'a.com,1,0.5,2', 'b.org,22,0.3333333333333333,44', ',333,0,666']);
  const jsonl = (await readFile(await writeTable(table, join(scratch, 'out.jsonl')), 'utf8')).trim().split('\n').map((line) => JSON.parse(line));
  assert.equal(jsonl, rows);
  const arrow = tableFromIPC(await readFile(await writeTable(table, join(scratch, 'out.arrow'))));
  assert.equal(arrow.toArray().map((row) => row.toJSON()), rows);
});

test('writeTable: an Apache Arrow table keeps its types; 64-bit integers become numbers in JSON Lines', async () => {
  const table = tableFromArrays({ id: BigInt64Array.from([1n, 2n]), x: Float64Array.from([0.25, 2]) });
  const back = await readParquetBack(await writeTable(table, join(scratch, 'arrow.parquet'), { compression: 'zstd' }));
  assert.equal(back.schema, ['id: INT64', 'x: DOUBLE']);
  assert.equal(back.codecs, ['ZSTD']);
  assert.equal(back.rows, [{ id: 1n, x: 0.25 }, { id: 2n, x: 2 }]);
  const jsonl = (await readFile(await writeTable(table, join(scratch, 'arrow.ndjson')), 'utf8')).trim().split('\n').map((line) => JSON.parse(line));
  assert.equal(jsonl, [{ id: 1, x: 0.25 }, { id: 2, x: 2 }]);
});

test('writeTable: 64-bit integers past 2^53 keep every digit in CSV and JSON Lines (strings in JSON, where a number would round them)', async () => {
  const big = 2n ** 60n + 1n;
  const table = tableFromArrays({ id: BigInt64Array.from([big, 7n]) });
  assert.equal((await readFile(await writeTable(table, join(scratch, 'big.csv')), 'utf8')).trim().split('\n'), ['id', '1152921504606846977', '7']);
  const jsonl = (await readFile(await writeTable(table, join(scratch, 'big.jsonl')), 'utf8')).trim().split('\n').map((line) => JSON.parse(line));
  assert.equal(jsonl, [{ id: '1152921504606846977' }, { id: 7 }]);
});

test('writeTable refuses a path it cannot tell the format of, a folder, or an unknown compression, with one line; writes nothing', async () => {
  const table = aq.table({ x: [1] });
  const cases = [
    [join(scratch, 'out.xlsx'), {}, /^writeTable writes \.parquet, \.csv, \.jsonl, \.ndjson, \.arrow, \.feather, \.ipc files, by the path's extension; got /],
    [join(scratch, 'dir.parquet') + '/', {}, /^writeTable writes one file, got a folder: /],
    [join(scratch, 'gzip.parquet'), { compression: 'gzip' }, /^compression must be one of snappy, zstd, none, got "gzip"$/],
  ] as const;
  for (const [path, options, message] of cases) {
    const error = await writeTable(table, path, options as { compression?: 'snappy' }).catch((failure: Error) => failure);
    assert.instance(error, OptionError);
    assert.match((error as Error).message, message);
    assert.not.ok(existsSync(path.replace(/\/$/, '')), `nothing at ${path}`);
  }
});

test("writeTable of the job's metrics (Arquero, as runJob or readMetrics gives them): the output schema, int64 counts, the same bytes as the job's", async () => {
  const path = await writeTable(result.metrics, join(scratch, 'again.parquet'));
  const back = await readParquetBack(path);
  assert.equal(back.schema, (await readParquetBack(join(scratch, 'metrics.parquet'))).schema, 'the output schema');
  assert.ok(back.schema.includes('pageviews: INT64'));
  assert.ok((await readFile(path)).equals(await readFile(join(scratch, 'metrics.parquet'))), 'the job\'s own bytes');
  assert.equal((await readMetrics(await writeTable(await readMetrics(path), join(scratch, 'twice.parquet')))).objects(), expected, 'read, written, read again');
});

test('readMetrics refuses a folder whose files do not share their columns, naming the file', async () => {
  const folder = join(scratch, 'mixed');
  await writeTable(aq.table({ a: [1] }), join(folder, 'datehour=2021-01-23-10', 'part-0.parquet'));
  await writeTable(aq.table({ b: [2] }), join(folder, 'datehour=2021-01-23-11', 'part-0.parquet'));
  const error = await readMetrics(folder + '/').catch((failure: Error) => failure);
  assert.match((error as Error).message, /datehour=2021-01-23-11\/part-0\.parquet has the columns b, not those of .*datehour=2021-01-23-10\/part-0\.parquet: a$/);
});

test.after(() => rm(scratch, { recursive: true, force: true }));
test.run();
