// The naive reference for the analyst views (test/support/referenceAnalysis.ts) against the older naive
// reference for the hourly metrics (test/support/referenceJob.ts) on every golden fixture, and against a
// few values worked out by hand from fixtures/analyst-tokens.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { FIXTURES, goldenCases, rowsDiffer } from './support/fixtures.ts';
import { referenceBreakdown, referenceEvents, referenceMetrics } from './support/referenceAnalysis.ts';
import { referenceJob } from './support/referenceJob.ts';

for (const golden of goldenCases()) {
  test(`referenceMetrics(referenceEvents()) equals referenceJob on fixtures/${golden.name}`, () => {
    const events = referenceEvents(golden.root, golden.options);
    const job = referenceJob(golden.root, golden.options);
    assert.is(rowsDiffer(referenceMetrics(events), job.rows), null);
    const rejected = Object.values(job.rejected).reduce((a, b) => a + b, 0);
    assert.is(events.length, job.lines - job.duplicates - rejected);
  });
}

for (const lookback of [0, 1, 2]) {
  test(`lookback ${lookback}: referenceMetrics(referenceEvents()) equals referenceJob on fixtures/analyst-tokens`, () => {
    const root = `${FIXTURES}analyst-tokens/input`;
    assert.is(rowsDiffer(referenceMetrics(referenceEvents(root, { lookback })), referenceJob(root, { lookback }).rows), null);
  });
}

// Values worked out by hand from fixtures/analyst-tokens/input.
const root = `${FIXTURES}analyst-tokens/input`;
const events = referenceEvents(root);
const find = (rows: (string | number | null)[][], prefix: (string | null)[]) =>
  rows.find((row) => prefix.every((value, i) => row[i] === value));

test('by hand: events kept, and the columns of a few', () => {
  // 38 non-blank lines, 5 rejected, 7 duplicates.
  assert.is(events.length, 26);
  // e01's first copy (part-10.json line 1), not its later copy on line 8 (b.example): lists each name once.
  assert.equal(events[0], {
    id: 'e01', datehour: '2021-01-23-23', datetime: '2021-01-23 23:01:00', domain: 'a.example', type: 'pageview', user_id: 'u1',
    country: 'FR', consent: true, purposes_enabled: ['ads'], purposes_disabled: ['analytics'], vendors_enabled: ['V1'],
    vendors_disabled: ['V2'], file: 'datehour=2021-01-23-23/part-10.json', line: 1,
  });
  // e02: non-string entries left out, the escaped name read as café, no vendors group.
  assert.equal([events[1]!.purposes_enabled, events[1]!.purposes_disabled, events[1]!.vendors_enabled], [['ads'], ['café'], null]);
  // e03: datetime a number, purposes "x"; e05 (after the blank line 5): datetime null, the token an object.
  assert.equal([events[2]!.datetime, events[2]!.purposes_enabled, events[2]!.vendors_enabled, events[2]!.vendors_disabled], [null, null, ['V2'], null]);
  assert.equal([events[4]!.id, events[4]!.line, events[4]!.datetime, events[4]!.consent, events[4]!.vendors_disabled], ['e05', 6, null, true, ['V3']]);
  // e10 is part-10.json's copy (line 14), though part-9.json holds one on line 1.
  const e10 = events.find((event) => event.id === 'e10')!;
  assert.equal([e10.file, e10.line, e10.domain, e10.country], ['datehour=2021-01-23-23/part-10.json', 14, null, null]);
  // e23: `[null]` enabled: consent, an empty list.
  const e23 = events.find((event) => event.id === 'e23')!;
  assert.equal([e23.consent, e23.purposes_enabled, e23.purposes_disabled], [true, [], null]);
  assert.not.ok(events.some((event) => event.id === 'e99'), '_SUCCESS is not read');
});

test('by hand: the ads purpose on 2021-01-24, a.example, FR page views (day grain)', () => {
  // Kept: e30 (enabled ads), e31 (disabled ads), e40 (enabled ads), e41 (enabled café, disabled ads);
  // the copies of e01, e02 and e30 are duplicates.
  const rows = referenceBreakdown(events, 'purpose', { grain: 'day' });
  assert.equal(find(rows, ['2021-01-24', 'a.example', 'FR', 'pageview', 'ads']), ['2021-01-24', 'a.example', 'FR', 'pageview', 'ads', 4, 2, 2]);
  assert.equal(find(rows, ['2021-01-24', 'a.example', 'FR', 'pageview', 'café']), ['2021-01-24', 'a.example', 'FR', 'pageview', 'café', 4, 1, 0]);
});

test('by hand: vendor V1 in hour 2021-01-23-23, a.example, FR', () => {
  // Page views e01, e02, e03, e07: only e01 enables V1 (twice, counted once). Given: e05 enables V1, e08 disables it.
  const rows = referenceBreakdown(events, 'vendor');
  assert.equal(find(rows, ['2021-01-23-23', 'a.example', 'FR', 'pageview', 'V1'])!.slice(5), [4, 1, 0]);
  assert.equal(find(rows, ['2021-01-23-23', 'a.example', 'FR', 'consent.given', 'V1'])!.slice(5), [2, 1, 1]);
});

test('by hand: avg_pageviews_per_user over a day and over merged countries', () => {
  // 2021-01-24, a.example, FR: e30 u1, e31 u2 (hour 00), e40 u1, e41 u2 (hour 01): 4 / 2, where each hour gives 1.
  assert.equal(find(referenceMetrics(events, { grain: 'day' }), ['2021-01-24', 'a.example', 'FR']), ['2021-01-24', 'a.example', 'FR', 4, 3, 1, 0, 1, 1, 2]);
  // 2021-01-23-23, a.example: FR e01 u1, e02 u1, e03 u2, e07 u4 and DE e06 u1: 5 / 3 (FR alone 4 / 3, DE 1 / 1).
  assert.equal(find(referenceMetrics(events, { keys: ['domain'] }), ['2021-01-23-23', 'a.example']), ['2021-01-23-23', 'a.example', 5, 2, 1, 0, 2, 2, 5 / 3]);
  // Day 2, a.example with lookback 1: e02's copy (2 hours after its kept one) counts again, e01's and e30's (1 hour) do not:
  // FR e02' u1, e30 u1, e31 u2, e40 u1, e41 u2: 5 / 2.
  assert.equal(find(referenceMetrics(referenceEvents(root, { lookback: 1 }), { grain: 'day' }), ['2021-01-24', 'a.example', 'FR'])!.slice(3), [5, 3, 1, 0, 1, 1, 2.5]);
});

test('columns follow the grain and keys', () => {
  assert.equal(referenceMetrics(events, { grain: 'day', keys: ['country'] })[0], ['2021-01-23', null, 2, 1, 0, 0, 0, 0, 1]);
  assert.equal(referenceBreakdown(events, 'vendor', { grain: 'day', keys: ['country'] })[0], ['2021-01-23', null, 'pageview', 'V1', 2, 1, 0]);
});

test.run();
