// The analyst views against the naive reference (test/support/referenceAnalysis.ts): the deduplicated
// events (readEvents, as an Arquero table, and eventBatches, as Arrow tables per partition), and runJob
// with a breakdown (`by`), a grain and keys; on fixtures/analyst-tokens (tokens of every odd shape, two
// days) and a few other golden fixtures, on worker threads and on this thread.
import { existsSync } from 'node:fs';
import { appendFile, cp, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { eventBatches, readEvents, runJob, StrictModeError, writeEvents } from '../../src/index.ts';
import { FIXTURES, goldenCases } from '../support/fixtures.ts';
import {
  breakdownColumns, EVENT_COLUMNS, metricsColumns, referenceBreakdown, referenceEvents, referenceMetrics,
  type ReferenceEvent,
} from '../support/referenceAnalysis.ts';

type Selection = { partitions?: string[]; from?: string; to?: string; lookback?: number };
const analyst = `${FIXTURES}analyst-tokens/input`;
const cases: { name: string; root: string; options: Selection }[] = [
  { name: 'analyst-tokens', root: analyst, options: {} },
  { name: 'analyst-tokens, lookback 1', root: analyst, options: { lookback: 1 } },
  ...goldenCases()
    .filter((golden) => ['example', 'tokens', 'partition-range', 'gzip', 'bad-lines'].includes(golden.name))
    .map((golden) => ({ name: golden.name, root: golden.root, options: golden.options })),
];

/** A row as plain values: lists as plain arrays (an Arrow vector or typed list as Array.from), 64-bit integers as numbers. */
const plain = (row: Record<string, unknown>): Record<string, unknown> =>
  Object.fromEntries(Object.entries(row).map(([name, value]) => {
    if (typeof value === 'bigint') return [name, Number(value)];
    if (value !== null && typeof value === 'object' && !Array.isArray(value) && Symbol.iterator in value) return [name, Array.from(value as Iterable<unknown>)];
    return [name, value];
  }));

/** The first difference between actual and expected rows (objects, compared column by column in `columns` order), or null. */
function rowsDiffer(actual: Record<string, unknown>[], expected: unknown[][], columns: readonly string[]): string | null {
  for (let i = 0; i < Math.max(actual.length, expected.length); i++) {
    const got = actual[i] ? columns.map((name) => actual[i]![name]) : undefined;
    const want = expected[i];
    const same = got !== undefined && want !== undefined && got.length === want.length && got.every((value, column) =>
      typeof value === 'number' && typeof want[column] === 'number'
        ? Math.abs(value - (want[column] as number)) < 1e-9
        : JSON.stringify(value) === JSON.stringify(want[column]));
    if (!same) return `row ${i} of ${actual.length} (expected ${expected.length}): ${JSON.stringify(got)}, expected ${JSON.stringify(want)}`;
  }
  return null;
}

const asRows = (events: ReferenceEvent[]) => events.map((event) => EVENT_COLUMNS.map((name) => event[name]));

for (const { name, root, options } of cases) {
  for (const workers of [0, undefined]) {
    test(`readEvents on ${name}, ${workers === 0 ? 'on this thread' : 'on worker threads'}: the reference's events, columns in order`, async () => {
      const table = await readEvents({ root, ...options, workers });
      assert.equal(table.columnNames(), [...EVENT_COLUMNS]);
      const rows = table.objects() as Record<string, unknown>[];
      assert.is(rowsDiffer(rows.map(plain), asRows(referenceEvents(root, options)), EVENT_COLUMNS), null);
      // As the SPEC types them: line an int64 read as a number, consent a boolean, lists plain arrays or null.
      for (const row of rows) {
        assert.type(row.line, 'number');
        assert.type(row.consent, 'boolean');
        for (const list of ['purposes_enabled', 'purposes_disabled', 'vendors_enabled', 'vendors_disabled']) {
          assert.ok(row[list] === null || Array.isArray(plain(row)[list]), `${list}: ${String(row[list])}`);
        }
      }
    });

    test(`eventBatches on ${name}, ${workers === 0 ? 'on this thread' : 'on worker threads'}: one Arrow table per partition, in datehour order, together the reference's events`, async () => {
      const rows: Record<string, unknown>[] = [];
      const datehours: string[] = [];
      for await (const batch of eventBatches({ root, ...options, workers })) {
        if (batch.numRows === 0) continue; // an empty partition may yield an empty table
        assert.equal(batch.schema.fields.map((field) => field.name), [...EVENT_COLUMNS]);
        const batchRows = batch.toArray().map((row) => plain(row.toJSON() as Record<string, unknown>));
        const hours = [...new Set(batchRows.map((row) => row.datehour as string))];
        assert.is(hours.length, 1, `one partition per table, got ${hours}`);
        datehours.push(hours[0]!);
        rows.push(...batchRows);
      }
      assert.equal(datehours, [...datehours].sort(), 'datehour order');
      assert.is(new Set(datehours).size, datehours.length, 'one table per partition');
      assert.is(rowsDiffer(rows, asRows(referenceEvents(root, options)), EVENT_COLUMNS), null);
    });
  }
}

// part-10.json has an invalid token on line 4 and a line that is not JSON on line 11. A partition's lines are
// reported before its tokens (the parse finds the first, the expansion the second), so both runs stop on line 11.
test('readEvents in strict mode fails as runJob does, naming the file and line', async () => {
  const error = await readEvents({ root: analyst, strict: true }).then(() => null, (caught: Error) => caught);
  const metrics = await runJob({ root: analyst, strict: true }).then(() => null, (caught: Error) => caught);
  assert.instance(error, StrictModeError);
  assert.match(error!.message, /datehour=2021-01-23-23[/\\]part-10\.json:11: /);
  assert.is(error!.message, metrics?.message);
});

// Grain x keys x (metrics, by purpose, by vendor), and lookbacks with the day grain.
const grains = ['hour', 'day'] as const;
const keySets: (['domain', 'country'] | ['domain'] | ['country'])[] = [['domain', 'country'], ['domain'], ['country']];
const views = [undefined, 'purpose', 'vendor'] as const;
const runs: { root: string; name: string }[] = [
  { root: analyst, name: 'analyst-tokens' },
  { root: `${FIXTURES}example/input`, name: 'example' },
];

for (const { root, name } of runs) for (const grain of grains) for (const keys of keySets) for (const by of views) {
  test(`runJob on ${name}, grain ${grain}, keys ${keys.join(',')}, ${by ? `by ${by}` : 'metrics'}: the reference's rows and columns`, async () => {
    const { metrics } = await runJob({ root, grain, keys, ...(by ? { by } : {}) });
    const events = referenceEvents(root);
    const [columns, expected] = by
      ? [breakdownColumns(by, { grain, keys }), referenceBreakdown(events, by, { grain, keys })]
      : [metricsColumns({ grain, keys }), referenceMetrics(events, { grain, keys })];
    assert.equal(metrics.columnNames(), columns);
    assert.is(rowsDiffer(metrics.objects() as Record<string, unknown>[], expected, columns), null);
    const counts = by ? ['events', 'enabled', 'disabled'] : columns.slice(columns.indexOf('pageviews'));
    for (const row of metrics.objects() as Record<string, unknown>[]) {
      for (const column of counts) assert.type(row[column], 'number', column);
    }
  });
}

for (const lookback of [0, 1, 2]) for (const by of views) for (const workers of [0, undefined]) {
  test(`runJob on analyst-tokens, lookback ${lookback}, grain day, ${by ? `by ${by}` : 'metrics'}, ${workers === 0 ? 'on this thread' : 'on worker threads'}: the reference's rows`, async () => {
    const { metrics } = await runJob({ root: analyst, lookback, grain: 'day', workers, ...(by ? { by } : {}) });
    const events = referenceEvents(analyst, { lookback });
    const [columns, expected] = by
      ? [breakdownColumns(by, { grain: 'day' }), referenceBreakdown(events, by, { grain: 'day' })]
      : [metricsColumns({ grain: 'day' }), referenceMetrics(events, { grain: 'day' })];
    assert.equal(metrics.columnNames(), columns);
    assert.is(rowsDiffer(metrics.objects() as Record<string, unknown>[], expected, columns), null);
  });
}

test('the lookbacks give different day rows on analyst-tokens (so the runs above tell them apart)', () => {
  const day = (lookback?: number) => JSON.stringify(referenceMetrics(referenceEvents(analyst, { lookback }), { grain: 'day' }));
  assert.is.not(day(0), day(1));
  assert.is.not(day(1), day(2));
  assert.is(day(2), day(undefined));
});

// Refused as a bad value of a known option (naming the option and what it got), not as an unknown option.
const refusals: [string, Record<string, unknown>, RegExp, string][] = [
  ['a grain of a week', { grain: 'week' }, /\bgrain\b/, 'week'],
  ['keys as a string', { keys: 'domain' }, /\bkeys\b/, 'domain'],
  ['a key that is not one', { keys: ['city'] }, /\bkeys\b/, 'city'],
  ['by purposes (plural)', { by: 'purposes' }, /\bby\b/, 'purposes'],
];
for (const [what, options, option, value] of refusals) {
  test(`runJob refuses ${what}, naming the option`, async () => {
    const error = await runJob({ root: analyst, ...options } as unknown as Parameters<typeof runJob>[0]).then(() => null, (caught: Error) => caught);
    assert.instance(error, Error, 'refused');
    assert.match(error!.message, option);
    assert.match(error!.message, value);
    assert.not.match(error!.message, /unknown option/);
  });
}

test('readEvents names itself for an option it does not take, and runJob refuses by, grain and keys with state or a queue, in one line', async () => {
  const refused = (promise: Promise<unknown>) => promise.then(() => null, (caught: Error) => caught.message);
  assert.match((await refused(readEvents({ root: analyst, by: 'purpose' } as never)))!, /^unknown option by; readEvents takes root, partitions, from, to, lookback/);
  assert.match((await refused(readEvents({ root: analyst, lookbak: 2 } as never)))!, /unknown option lookbak \(did you mean lookback\?\)/);
  assert.match((await refused(runJob({ root: analyst, by: 'purpose', state: { location: '/nonexistent/state' } })))!, /^by \(--by\) runs in this process only, not with state \(--state\)/);
  assert.match((await refused(runJob({ root: analyst, grain: 'day', keys: ['domain'], queue: { url: 'redis://127.0.0.1:1', work: '/nonexistent' } })))!, /^grain \(--grain\), keys \(--keys\) runs in this process only, not with queue/);
});

test('split files, three dedup lanes and two threads give the same events, breakdowns and days as the reference', async () => {
  const expected = referenceEvents(analyst);
  const events = await readEvents({ root: analyst, splitBytes: 200, workers: 2 });
  assert.is(rowsDiffer((events.objects() as Record<string, unknown>[]).map(plain), asRows(expected), EVENT_COLUMNS), null);
  for (const by of [undefined, 'vendor'] as const) {
    const { metrics } = await runJob({ root: analyst, by, grain: 'day', keys: ['domain'], splitBytes: 200, workers: 2, dedupLanes: 3, buckets: 8 });
    const reference = by ? referenceBreakdown(expected, by, { grain: 'day', keys: ['domain'] }) : referenceMetrics(expected, { grain: 'day', keys: ['domain'] });
    const columns = by ? breakdownColumns(by, { grain: 'day', keys: ['domain'] }) : metricsColumns({ grain: 'day', keys: ['domain'] });
    assert.is(rowsDiffer(metrics.objects() as Record<string, unknown>[], reference, columns), null, by ?? 'metrics');
  }
});

test('writeEvents to a folder leaves no file when a later partition fails (strict), and checks its own options', async () => {
  const root = await mkdtemp(join(tmpdir(), 'consent-metrics-events-'));
  await cp(`${FIXTURES}example/input`, root, { recursive: true });
  await appendFile(join(root, 'datehour=2021-01-23-11', (await readdir(join(root, 'datehour=2021-01-23-11')))[0]!), '{"id":\n');
  const out = join(root, 'out') + '/';
  for (const workers of [0, 2]) {
    const error = await writeEvents({ root, out, strict: true, workers }).then(() => null, (caught: Error) => caught);
    assert.instance(error, StrictModeError);
    const files = existsSync(out) ? (await readdir(out, { recursive: true, withFileTypes: true })).filter((entry) => entry.isFile()) : [];
    assert.equal(files.map((entry) => entry.name), [], `workers ${workers}: no file written`);
  }
  const refused = await writeEvents({ root, out, compression: 'gzip' as never }).then(() => null, (caught: Error) => caught.message);
  assert.match(refused!, /^compression \(--compression\) must be one of snappy, zstd, none/);
  await rm(root, { recursive: true, force: true });
});

test('by, grain and keys refuse countShards, and a run whose input exceeds the memory budget', async () => {
  const refused = (promise: Promise<unknown>) => promise.then(() => null, (caught: Error) => caught.message);
  assert.match((await refused(runJob({ root: analyst, grain: 'day', countShards: 2 })))!, /^countShards does not apply with by \(--by\), grain/);
  const big = await mkdtemp(join(tmpdir(), 'consent-metrics-big-'));
  await mkdir(join(big, 'datehour=2021-01-23-10'));
  await writeFile(join(big, 'datehour=2021-01-23-10', 'part-0.json'), Buffer.alloc(300 * 2 ** 20, 0x0a)); // 300 MiB of blank lines
  assert.match((await refused(runJob({ root: big, by: 'purpose', memory: '256MiB' })))!, /^by, grain and keys run in this process, and this run's input does not fit its memory budget \(256 MiB, --memory\)/);
  await rm(big, { recursive: true, force: true });
});

test.run();
