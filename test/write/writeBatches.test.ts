// Output written batch after batch (the queued run's finish task): the same bytes as the whole table
// written at once, through the synchronous writer, however the rows are batched.
import * as aq from 'arquero';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Table } from 'apache-arrow';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { localSink, metricsToArrow, openSink, writeParquet, type Sink } from '../../src/index.ts';
import { writeBatchesToTarget, type MetricsBatch } from '../../src/write/writeParquet.ts';
import { readParquetBack } from '../support/readParquetBack.ts';

const scratch = await mkdtemp(join(tmpdir(), 'consent-metrics-batches-'));
const hourOf = (index: number) => `2021-01-${String(10 + Math.floor(index / 24)).padStart(2, '0')}-${String(index % 24).padStart(2, '0')}`;

/** Metrics of `hours` datehours, `rowsPerHour` rows each, sorted by datehour, with nulls and large counts. */
function metricsOf(hours: number, rowsPerHour: number): Table {
  const rows = hours * rowsPerHour;
  const at = (row: number) => (row * 2654435761) % 1000;
  return metricsToArrow(aq.table({
    datehour: Array.from({ length: rows }, (_, row) => hourOf(Math.floor(row / rowsPerHour))),
    domain: Array.from({ length: rows }, (_, row) => (row % 997 === 0 ? null : `site-${row % rowsPerHour}.example`)),
    country: Array.from({ length: rows }, (_, row) => [null, 'DE', 'ES', 'FR'][row % 4]),
    pageviews: Array.from({ length: rows }, (_, row) => at(row)),
    pageviews_with_consent: Array.from({ length: rows }, (_, row) => at(row) >> 1),
    consents_asked: Array.from({ length: rows }, (_, row) => at(row + 1)),
    consents_asked_with_consent: Array.from({ length: rows }, (_, row) => at(row + 1) >> 2),
    consents_given: Array.from({ length: rows }, (_, row) => at(row + 2)),
    consents_given_with_consent: Array.from({ length: rows }, (_, row) => (row === 5 ? 2 ** 40 : at(row + 2) >> 1)),
    avg_pageviews_per_user: Array.from({ length: rows }, (_, row) => at(row) / 7),
  }));
}

/** The table's rows in batches of `hoursPerBatch` datehours, as a run would give them. */
async function* inBatches(table: Table, hours: number, rowsPerHour: number, hoursPerBatch: number): AsyncGenerator<MetricsBatch> {
  for (let first = 0; first < hours; first += hoursPerBatch) {
    const last = Math.min(hours, first + hoursPerBatch);
    yield { metrics: table.slice(first * rowsPerHour, last * rowsPerHour), datehours: Array.from({ length: last - first }, (_, hour) => hourOf(first + hour)) };
  }
}

const HOURS = 30;
const ROWS_PER_HOUR = 700;
const table = metricsOf(HOURS, ROWS_PER_HOUR);

for (const compression of ['snappy', 'zstd'] as const) {
  test(`${compression}: one file written batch by batch equals the whole table written at once, for any batching`, async () => {
    const [whole] = await writeParquet(table, localSink(scratch), `whole-${compression}.parquet`, { compression });
    const expected = await readFile(whole!);
    for (const hoursPerBatch of [1, 7, HOURS]) {
      const path = join(scratch, `batches-${compression}-${hoursPerBatch}.parquet`);
      const written = await writeBatchesToTarget(inBatches(table, HOURS, ROWS_PER_HOUR, hoursPerBatch), await openSink(path), compression);
      assert.equal(written, [path]);
      assert.ok((await readFile(path)).equals(expected), `batches of ${hoursPerBatch} hours: the bytes differ`);
    }
    const back = await readParquetBack(whole!);
    assert.is(back.rows.length, HOURS * ROWS_PER_HOUR);
    assert.is(back.rows[5]!.consents_given_with_consent, 2n ** 40n);
  });
}

test('more rows than a row group holds: the row groups leave as they fill, and the bytes still equal', async () => {
  const hours = 11;
  const rowsPerHour = 100_000; // 1.1M rows: two row groups of the writer's 1,048,576
  const big = metricsOf(hours, rowsPerHour);
  const [whole] = await writeParquet(big, localSink(scratch), 'big-whole.parquet');
  const path = join(scratch, 'big-batches.parquet');
  await writeBatchesToTarget(inBatches(big, hours, rowsPerHour, 3), await openSink(path));
  assert.ok((await readFile(path)).equals(await readFile(whole!)));
  assert.equal((await readParquetBack(path)).rowGroups, [1_048_576, 51_424]);
});

test('one file per datehour, batch by batch: the same files as the whole table gives, empty hours too', async () => {
  const datehours = [...Array.from({ length: HOURS }, (_, hour) => hourOf(hour)), '2021-01-12-00'];
  const wholeTarget = await openSink(join(scratch, 'by-hour-whole') + '/');
  await writeParquet(table, wholeTarget.sink, '', { byDatehour: datehours });
  async function* batches() {
    yield* inBatches(table, HOURS, ROWS_PER_HOUR, 7);
    yield { metrics: table.slice(0, 0), datehours: ['2021-01-12-00'] };
  }
  const written = await writeBatchesToTarget(batches(), await openSink(join(scratch, 'by-hour-batches') + '/'));
  assert.equal(written.length, datehours.length);
  for (const datehour of datehours) {
    const file = (folder: string) => readFile(join(scratch, folder, `datehour=${datehour}`, 'part-0.parquet'));
    assert.ok((await file('by-hour-batches')).equals(await file('by-hour-whole')), datehour);
  }
});

test('batches that fail midway: their own error, no file, no temporary file, the earlier good file kept', async () => {
  const folder = join(scratch, 'failing');
  const { sink, key } = await openSink(join(folder, 'out.parquet'));
  await sink.write([{ key, bytes: new TextEncoder().encode('earlier run') }]);
  const lost = new Error('count file gone');
  async function* failing() {
    yield* inBatches(table, 7, ROWS_PER_HOUR, 3);
    throw lost;
  }
  try {
    await writeBatchesToTarget(failing(), await openSink(join(folder, 'out.parquet')));
    assert.unreachable();
  } catch (error) {
    assert.is(error, lost);
  }
  assert.equal(await readdir(folder), ['out.parquet']);
  assert.is(await readFile(join(folder, 'out.parquet'), 'utf8'), 'earlier run');
});

test('a sink without writeFrom gets the whole file from write, the same bytes', async () => {
  const files: { key: string; bytes: Uint8Array }[] = [];
  const sink: Sink = { describe: (key) => `memory:${key}`, write: async (written) => void files.push(...written) };
  const written = await writeBatchesToTarget(inBatches(table, HOURS, ROWS_PER_HOUR, 4), { sink, key: 'm.parquet', byDatehour: false });
  assert.equal(written, ['memory:m.parquet']);
  await writeFile(join(scratch, 'memory.parquet'), files[0]!.bytes);
  const [whole] = await writeParquet(table, localSink(scratch), 'memory-whole.parquet');
  assert.ok(Buffer.from(files[0]!.bytes).equals(await readFile(whole!)));
});

test.after(() => rm(scratch, { recursive: true, force: true }));
test.run();
