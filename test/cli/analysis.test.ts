// The analyst views from the command line: `events` to Parquet (one file, or one per datehour), read back
// by DuckDB (lists unnested there); `--by`, `--grain`, `--keys` as CSV/JSON and as Parquet per date; the
// flags that do not combine, refused with exit 2. Expected values come from the naive reference.
import { DuckDBInstance } from '@duckdb/node-api';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { FIXTURES } from '../support/fixtures.ts';
import { breakdownColumns, referenceBreakdown, referenceEvents, referenceMetrics } from '../support/referenceAnalysis.ts';
import { runCliProcess } from '../support/runCliProcess.ts';

const ROOT = join(FIXTURES, 'analyst-tokens', 'input');
const scratch = await mkdtemp(join(tmpdir(), 'consent-metrics-analysis-'));
const duckdb = await (await DuckDBInstance.create(':memory:')).connect();
const quote = (text: string) => `'${text.replaceAll("'", "''")}'`;
const query = async (sql: string) => (await duckdb.runAndReadAll(sql)).getRowObjectsJS() as Record<string, unknown>[];
const plain = (value: unknown): unknown => (typeof value === 'bigint' ? Number(value) : Array.isArray(value) ? value.map(plain) : value);
const plainRows = (rows: Record<string, unknown>[]) => rows.map((row) => Object.fromEntries(Object.entries(row).map(([key, value]) => [key, plain(value)])));

test('events --out FILE.parquet: every deduplicated event, read back by DuckDB with its lists', async () => {
  const out = join(scratch, 'events.parquet');
  const { code, stderr } = await runCliProcess(['events', ROOT, '--out', out]);
  assert.is(code, 0, stderr);
  const expected = referenceEvents(ROOT);
  assert.match(stderr, `${expected.length} event(s)`);
  const rows = plainRows(await query(`SELECT * FROM read_parquet(${quote(out)})`));
  assert.equal(rows, expected.map((event) => ({ ...event })));
  // The lists unnest as in any SQL engine: names per event, each once.
  const enabled = await query(`SELECT name, count(*)::INTEGER AS n FROM (SELECT unnest(purposes_enabled) AS name FROM read_parquet(${quote(out)})) GROUP BY name ORDER BY name`);
  const counted = new Map<string, number>();
  for (const event of expected) for (const name of event.purposes_enabled ?? []) counted.set(name, (counted.get(name) ?? 0) + 1);
  assert.equal(enabled.map(({ name, n }) => [name, n]), [...counted].sort(([a], [b]) => (a < b ? -1 : 1)));
});

test('events --out DIR/: one file per datehour, each holding that hour\'s events', async () => {
  const out = join(scratch, 'events-by-hour') + '/';
  const { code, stderr } = await runCliProcess(['events', ROOT, '--out', out, '--lookback', '1', '--quiet']);
  assert.is(code, 0, stderr);
  const expected = referenceEvents(ROOT, { lookback: 1 });
  const folders = (await readdir(out)).sort();
  assert.equal(folders, [...new Set(expected.map((event) => `datehour=${event.datehour}`))]);
  for (const folder of folders) {
    const rows = plainRows(await query(`SELECT * FROM read_parquet(${quote(join(out, folder, 'part-0.parquet'))})`));
    assert.equal(rows, expected.filter((event) => `datehour=${event.datehour}` === folder).map((event) => ({ ...event })), folder);
  }
});

test('--by purpose --grain day --keys domain --format json: the breakdown per date and domain', async () => {
  const { code, stdout, stderr } = await runCliProcess([ROOT, '--by', 'purpose', '--grain', 'day', '--keys', 'domain', '--format', 'json']);
  assert.is(code, 0, stderr);
  const columns = breakdownColumns('purpose', { grain: 'day', keys: ['domain'] });
  const expected = referenceBreakdown(referenceEvents(ROOT), 'purpose', { grain: 'day', keys: ['domain'] }).map((row) => Object.fromEntries(columns.map((name, at) => [name, row[at]])));
  assert.ok(expected.length > 5);
  assert.equal(JSON.parse(stdout), expected);
});

test('--by vendor --out FILE.parquet: the breakdown as Parquet (its own schema, int64 counts), read back by DuckDB', async () => {
  const out = join(scratch, 'by-vendor.parquet');
  const { code, stderr } = await runCliProcess([ROOT, '--by', 'vendor', '--out', out, '--quiet', '--limit', '0']);
  assert.is(code, 0, stderr);
  const rows = plainRows(await query(`SELECT * FROM read_parquet(${quote(out)})`));
  assert.equal(rows.map((row) => Object.values(row)), referenceBreakdown(referenceEvents(ROOT), 'vendor'));
  const types = await query(`SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM read_parquet(${quote(out)}))`);
  assert.equal(types.map(({ column_name, column_type }) => `${column_name} ${column_type}`),
    ['datehour VARCHAR', 'domain VARCHAR', 'country VARCHAR', 'type VARCHAR', 'vendor VARCHAR', 'events BIGINT', 'enabled BIGINT', 'disabled BIGINT']);
});

test('--grain day --keys country --out DIR/: metrics in one file per date (date=.../part-0.parquet)', async () => {
  const out = join(scratch, 'by-day') + '/';
  const { code, stderr } = await runCliProcess([ROOT, '--grain', 'day', '--keys', 'country', '--out', out, '--quiet']);
  assert.is(code, 0, stderr);
  const expected = referenceMetrics(referenceEvents(ROOT), { grain: 'day', keys: ['country'] });
  assert.equal((await readdir(out)).sort(), ['date=2021-01-23', 'date=2021-01-24']);
  const rows = plainRows(await query(`SELECT * FROM read_parquet(${quote(join(out, '*', 'part-0.parquet'))}, hive_partitioning = false) ORDER BY date, country NULLS FIRST`));
  assert.equal(rows.map((row) => Object.values(row)), expected);
  const types = await query(`SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM read_parquet(${quote(join(out, 'date=2021-01-23', 'part-0.parquet'))}, hive_partitioning = false))`);
  assert.equal(types.map(({ column_name, column_type }) => `${column_name} ${column_type}`).slice(0, 3), ['date VARCHAR', 'country VARCHAR', 'pageviews BIGINT']);
});

test('flags that do not combine: one line, exit 2, nothing written', async () => {
  const out = join(scratch, 'never.parquet');
  for (const [args, message] of [
    [['--grain', 'week'], /grain \(--grain\) must be one of hour, day/],
    [['--keys', 'domain,city'], /keys \(--keys\) must be a list of domain and\/or country/],
    [['--by', 'purposes'], /by \(--by\) must be one of purpose, vendor/],
    [['--by', 'vendor', '--state', join(scratch, 'state')], /by \(--by\) runs in this process only, not with state \(--state\)/],
    [['--grain', 'day', '--queue', 'redis://127.0.0.1:1', '--work', join(scratch, 'work')], /grain \(--grain\) runs in this process only, not with queue \(--queue\)/],
    [['events', '--by', 'purpose'], /events does not take --by/],
  ] as const) {
    const [first, ...rest] = args;
    const argv = first === 'events' ? ['events', ROOT, ...rest, '--out', out] : [ROOT, ...args, '--out', out];
    const { code, stderr } = await runCliProcess(argv);
    assert.is(code, 2, `${args.join(' ')}: ${stderr}`);
    assert.match(stderr, message);
    assert.is(stderr.trim().split('\n')[0]!.startsWith('consent-metrics: '), true);
  }
  assert.equal((await readdir(scratch)).includes('never.parquet'), false);
});

test.after(async () => {
  duckdb.closeSync();
  await rm(scratch, { recursive: true, force: true });
});
test.run();
