import * as aq from 'arquero';
import type { ColumnTable } from 'arquero';
import type { Table } from 'apache-arrow';
import { dropDuplicateIds } from './dropDuplicateIds.ts';

type ArrowInput = Parameters<typeof aq.fromArrow>[0];

/** The output columns, in order (see SPEC.md). */
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

export const GROUP_KEYS = ['datehour', 'domain', 'country'] as const;

/** Each event falls in one pivot cell: its type's metric name x with/without consent. */
const CELL = `d => (d.type === 'pageview' ? 'pageviews' : d.type === 'consent.asked' ? 'consents_asked' : 'consents_given')
  + (d.consent ? '_with' : '_without')`;

/** Pivot cells: `n_<cell>` counts events, `users_<cell>` counts each (group, type, user)'s first event. */
const CELLS = ['pageviews', 'consents_asked', 'consents_given'].flatMap((metric) =>
  ['_with', '_without'].flatMap((consent) => [`n_${metric}${consent}`, `users_${metric}${consent}`]),
);

/** The contract's definitions, over the pivot cells. */
const METRICS = {
  pageviews: 'd => d.n_pageviews_with + d.n_pageviews_without',
  pageviews_with_consent: 'd => d.n_pageviews_with',
  consents_asked: 'd => d.n_consents_asked_with + d.n_consents_asked_without',
  consents_asked_with_consent: 'd => d.n_consents_asked_with',
  consents_given: 'd => d.n_consents_given_with + d.n_consents_given_without',
  consents_given_with_consent: 'd => d.n_consents_given_with',
  // Distinct users among pageviews: a null user_id is one more user, as op.distinct counts null.
  avg_pageviews_per_user: `d => d.n_pageviews_with + d.n_pageviews_without === 0 ? 0
    : (d.n_pageviews_with + d.n_pageviews_without) / (d.users_pageviews_with + d.users_pageviews_without)`,
};

export interface MetricsOptions {
  /** Ids of earlier partitions of the same run; their repeats are dropped, new ids are added. Default: a new set. */
  seenIds?: Set<string>;
}

/**
 * Computes the metrics of SPEC.md from events that have `id, datehour, domain, country, type,
 * user_id, consent` (the output of `expandToken`): deduplicate by id (first wins, in table order),
 * then one groupby + pivot on type x consent. Every group with an event keeps its row, zeros where a
 * type is absent. Rows are sorted by datehour, domain, country (nulls first).
 *
 * @example
 * const metrics = computeMetrics(expandToken(table));
 * metrics.print();
 */
export function computeMetrics(events: Table | ColumnTable, { seenIds = new Set() }: MetricsOptions = {}): ColumnTable {
  const table =
    events instanceof aq.ColumnTable
      ? events
      : aq.fromArrow(events as unknown as ArrowInput, { columns: ['id', ...GROUP_KEYS, 'type', 'user_id', 'consent'] });
  const cells = dropDuplicateIds(table, seenIds)
    .groupby(...GROUP_KEYS, 'type', 'user_id')
    .derive({ first_of_user: () => aq.op.row_number() === 1 })
    .groupby(...GROUP_KEYS)
    .pivot({ cell: CELL }, { n: () => aq.op.count(), users: 'd => op.sum(d.first_of_user)' });
  const absent = CELLS.filter((name) => !cells.columnNames().includes(name));
  return cells
    .derive(Object.fromEntries(absent.map((name) => [name, '() => 0'])))
    .impute(Object.fromEntries(CELLS.map((name) => [name, '() => 0'])))
    .derive(METRICS)
    .select(...METRIC_COLUMNS)
    .orderby(...GROUP_KEYS)
    .reify(); // orderby alone is a lazy view that concat would ignore
}
