import * as aq from 'arquero';
import type { ColumnTable } from 'arquero';
import { CELL_NAMES } from './groupCounts.ts';
import { GROUP_KEYS, METRIC_COLUMNS, METRIC_DEFINITIONS } from './metricDefinitions.ts';

export { CELL_NAMES } from './groupCounts.ts';
export { GROUP_KEYS, METRIC_COLUMNS } from './metricDefinitions.ts';

/** The metrics' Arquero expressions, by name. */
const METRICS = Object.fromEntries(Object.entries(METRIC_DEFINITIONS).map(([name, { value }]) => [name, value]));



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
