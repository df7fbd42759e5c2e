import * as aq from 'arquero';
import type { ColumnTable } from 'arquero';

/**
 * The output columns, in order (see SPEC.md).
 *
 * @example
 * metrics.select(...METRIC_COLUMNS); // the output schema's order
 */
export const METRIC_COLUMNS = [
  'datehour',
  'domain',
  'country',
  'pageviews',
  'pageviews_with_consent',
  'consents_asked',
  'consents_asked_with_consent',
  'consents_given',
  'consents_given_with_consent',
  'avg_pageviews_per_user',
] as const;

/** The six count metrics (int64 in the output), between the keys and the average. */
export const COUNT_METRICS = METRIC_COLUMNS.slice(3, 9);

/**
 * The columns a metrics row is grouped by, and sorted by.
 *
 * @example
 * metrics.orderby(...GROUP_KEYS);
 */
export const GROUP_KEYS = ['datehour', 'domain', 'country'] as const;

/**
 * The six cells of type x consent, in type-code order: `CELL_NAMES[type * 2 + (consent ? 0 : 1)]`.
 *
 * @example
 * CELL_NAMES[0 * 2 + 1]; // 'pageviews_without': a pageview without consent
 */
export const CELL_NAMES: readonly string[] = ['pageviews', 'consents_asked', 'consents_given'].flatMap((metric) => [`${metric}_with`, `${metric}_without`]);

/** The cell name of an event, as an Arquero expression over `type` and `consent`. */
export const CELL_OF_EVENT = `d => (d.type === 'pageview' ? 'pageviews' : d.type === 'consent.asked' ? 'consents_asked' : 'consents_given')
  + (d.consent ? '_with' : '_without')`;

/**
 * Pivot columns: `n_<cell>` counts events, `users_<cell>` the users whose first event of the type is in that cell.
 *
 * @example
 * COUNT_COLUMNS.slice(0, 2); // ['n_pageviews_with', 'users_pageviews_with']
 */
export const COUNT_COLUMNS: readonly string[] = CELL_NAMES.flatMap((cell) => [`n_${cell}`, `users_${cell}`]);

/** The contract's definitions, over the pivot cells. */
const METRICS = {
  pageviews: 'd => d.n_pageviews_with + d.n_pageviews_without',
  pageviews_with_consent: 'd => d.n_pageviews_with',
  consents_asked: 'd => d.n_consents_asked_with + d.n_consents_asked_without',
  consents_asked_with_consent: 'd => d.n_consents_asked_with',
  consents_given: 'd => d.n_consents_given_with + d.n_consents_given_without',
  consents_given_with_consent: 'd => d.n_consents_given_with',
  avg_pageviews_per_user: `d => d.n_pageviews_with + d.n_pageviews_without === 0 ? 0
    : (d.n_pageviews_with + d.n_pageviews_without) / (d.users_pageviews_with + d.users_pageviews_without)`,
};

/**
 * The metrics from deduplicated events counted by cell. `cells` has one row per (group, cell), the
 * cell one of {@link CELL_NAMES} (type x consent), with `n` events and `users` (distinct users whose
 * first event of that type in the group falls in the cell; a null user id is one user); `groups` gives
 * each group's datehour, domain and country. One groupby + pivot on type x consent yields all six counts and the per-user average;
 * groups missing a type get zeros. Grouping by one `group` column rather than three string keys
 * halves the pivot's cost, and keeps null keys apart from each other for free. Sorted by datehour,
 * domain, country, nulls first.
 *
 * @example
 * metricsFromCells(
 *   aq.table({ group: [0], cell: ['pageviews_with'], n: [3], users: [2] }),
 *   aq.table({ group: [0], datehour: ['2021-01-23-10'], domain: ['a'], country: ['FR'] }),
 * ); // pageviews 3, pageviews_with_consent 3, avg 1.5
 */
export function metricsFromCells(cells: ColumnTable, groups: ColumnTable): ColumnTable {
  if (cells.numRows() === 0) return emptyMetrics();
  const pivoted = cells
    .groupby('group')
    .pivot('cell', { n: 'd => op.sum(d.n)', users: 'd => op.sum(d.users)' });
  const absent = COUNT_COLUMNS.filter((name) => !pivoted.columnNames().includes(name));
  return metricsFromCounts(
    pivoted
      .derive(Object.fromEntries(absent.map((name) => [name, '() => 0'])))
      .impute(Object.fromEntries(COUNT_COLUMNS.map((name) => [name, '() => 0']))),
    groups,
  );
}

/**
 * The metrics from pivoted counts: one row per group with every {@link COUNT_COLUMNS} column
 * (`n_pageviews_with`, `users_pageviews_with`, ...). The contract's definitions are applied here,
 * as Arquero expressions, for both paths: after `metricsFromCells`' pivot, and on the counts
 * `aggregatePartition` already pivoted while counting.
 *
 * @example
 * metricsFromCounts(countsTable, groups).print();
 */
export function metricsFromCounts(counts: ColumnTable, groups: ColumnTable): ColumnTable {
  if (counts.numRows() === 0) return emptyMetrics();
  return metricsFromKeyedCounts(counts.lookup(groups, 'group', ...GROUP_KEYS))
    .orderby(...GROUP_KEYS)
    .reify(); // orderby alone is a lazy view that concat would ignore
}

/**
 * {@link metricsFromCounts} on counts that carry their group's `datehour`, `domain` and `country`
 * as columns already (no lookup), and come in key order (as `countRows` gives them, partition after
 * partition): the rows keep their order.
 *
 * @example
 * metricsFromKeyedCounts(aq.table({ datehour: ['2021-01-23-10'], domain: ['a'], country: ['FR'], n_pageviews_with: [3], ... }));
 */
export function metricsFromKeyedCounts(counts: ColumnTable): ColumnTable {
  if (counts.numRows() === 0) return emptyMetrics();
  return counts.derive(METRICS).select(...METRIC_COLUMNS);
}

/**
 * The contract's definitions over pivoted counts ({@link COUNT_COLUMNS}, one row per group): the
 * seven metric columns alone, the groups' keys left to the caller (the job builds them as Arrow
 * straight from its dictionary codes).
 *
 * @example
 * metricValues(aq.table({ n_pageviews_with: [3], ... })).columnNames(); // ['pageviews', ..., 'avg_pageviews_per_user']
 */
export function metricValues(counts: ColumnTable): ColumnTable {
  return counts.derive(METRICS).select(...METRIC_COLUMNS.slice(GROUP_KEYS.length));
}

/** A table with the metric columns and no rows. */
export function emptyMetrics(): ColumnTable {
  return aq.table(Object.fromEntries(METRIC_COLUMNS.map((name) => [name, []])));
}
