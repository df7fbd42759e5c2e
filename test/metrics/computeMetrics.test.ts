import * as aq from 'arquero';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { computeMetrics, dropDuplicateIds, METRIC_COLUMNS } from '../../src/index.ts';

const events = (rows: [string, string, string | null, string | null, string, string | null, boolean][]) =>
  aq.table({
    id: rows.map((r) => r[0]), datehour: rows.map((r) => r[1]), domain: rows.map((r) => r[2]), country: rows.map((r) => r[3]),
    type: rows.map((r) => r[4]), user_id: rows.map((r) => r[5]), consent: rows.map((r) => r[6]),
  });
const H = '2021-01-23-10';

test('one row per group with all six counts and the per-user average, sorted, nulls first', () => {
  const metrics = computeMetrics(events([
    ['1', H, 'b.com', 'FR', 'pageview', 'u1', true],
    ['2', H, 'b.com', 'FR', 'pageview', 'u1', false],
    ['3', H, 'b.com', 'FR', 'pageview', 'u2', false],
    ['4', H, 'b.com', 'FR', 'consent.asked', 'u3', false],
    ['5', H, 'b.com', 'FR', 'consent.given', 'u3', true],
    ['6', H, 'a.com', 'FR', 'consent.given', 'u1', false],
    ['7', H, 'b.com', null, 'pageview', null, true],
    ['8', H, 'b.com', null, 'pageview', null, false],
  ]));
  assert.equal(metrics.columnNames(), [...METRIC_COLUMNS]);
  assert.equal(metrics.objects(), [
    { datehour: H, domain: 'a.com', country: 'FR', pageviews: 0, pageviews_with_consent: 0, consents_asked: 0, consents_asked_with_consent: 0, consents_given: 1, consents_given_with_consent: 0, avg_pageviews_per_user: 0 },
    { datehour: H, domain: 'b.com', country: null, pageviews: 2, pageviews_with_consent: 1, consents_asked: 0, consents_asked_with_consent: 0, consents_given: 0, consents_given_with_consent: 0, avg_pageviews_per_user: 2 },
    { datehour: H, domain: 'b.com', country: 'FR', pageviews: 3, pageviews_with_consent: 1, consents_asked: 1, consents_asked_with_consent: 0, consents_given: 1, consents_given_with_consent: 1, avg_pageviews_per_user: 1.5 },
  ]);
});

test('a user whose pageviews are split between with and without consent counts once', () => {
  const metrics = computeMetrics(events([
    ['1', H, 'a', 'FR', 'pageview', 'u1', true], ['2', H, 'a', 'FR', 'pageview', 'u1', false], ['3', H, 'a', 'FR', 'pageview', 'u1', true],
  ]));
  assert.is(metrics.get('avg_pageviews_per_user', 0), 3);
});

test('duplicates: the first row of an id wins, and ids seen in earlier partitions are dropped', () => {
  const seenIds = new Set(['old']);
  const metrics = computeMetrics(events([
    ['old', H, 'a', 'FR', 'pageview', 'u1', true],
    ['x', H, 'a', 'FR', 'consent.given', 'u1', true],
    ['x', H, 'a', 'FR', 'consent.given', 'u1', false],
  ]), { seenIds });
  assert.equal(metrics.objects().map((row: any) => [row.pageviews, row.consents_given, row.consents_given_with_consent]), [[0, 1, 1]]);
  assert.equal([...seenIds], ['old', 'x']);
});

test('dropDuplicateIds keeps table order', () => {
  const table = dropDuplicateIds(aq.table({ id: ['b', 'a', 'b', 'c', 'a'], n: [1, 2, 3, 4, 5] }));
  assert.equal(table.array('n'), [1, 2, 4]);
});

test('no events, no rows, but every column', () => {
  const metrics = computeMetrics(events([]));
  assert.is(metrics.numRows(), 0);
  assert.equal(metrics.columnNames(), [...METRIC_COLUMNS]);
});

test.run();
