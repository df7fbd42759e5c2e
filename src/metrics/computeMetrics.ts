import * as aq from 'arquero';
import type { ColumnTable } from 'arquero';
import type { Table } from 'apache-arrow';
import { dropDuplicateIds } from './dropDuplicateIds.ts';
import { CELL_OF_EVENT, GROUP_KEYS, metricsFromCells } from './metricsFromCells.ts';

type ArrowInput = Parameters<typeof aq.fromArrow>[0];

/**
 * What `computeMetrics` shares across calls.
 *
 * @example
 * const seenIds = new Set<string>();
 * for (const events of hours) computeMetrics(events, { seenIds }).print(); // a duplicate in a later hour is dropped
 */
export interface MetricsOptions {
  /** Ids of earlier partitions of the same run; their repeats are dropped, new ids are added. Default: a new set. */
  seenIds?: Set<string>;
}

/**
 * Computes the metrics of SPEC.md from events that have `id, datehour, domain, country, type,
 * user_id, consent` (the output of `expandToken`), with Arquero verbs only: deduplicate by id (first
 * wins, in table order), a window op (`row_number` over group x type x user) marking each user's
 * first event, a rollup into cells, then {@link metricsFromCells}. The readable reference; the job
 * itself counts cells with typed arrays (`aggregatePartition`) and gives identical results.
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
  // One value per (datehour, domain, country) that keeps nulls apart (a join on null keys would not).
  const groupKey = aq.escape((d: Record<string, unknown>) => JSON.stringify([d.datehour, d.domain, d.country]));
  const unique = dropDuplicateIds(table, seenIds).derive({ group: groupKey, cell: CELL_OF_EVENT });
  const cells = unique
    .groupby('group', 'type', 'user_id')
    .derive({ first_of_user: () => aq.op.row_number() === 1 })
    .groupby('group', 'cell')
    .rollup({ n: () => aq.op.count(), users: 'd => op.sum(d.first_of_user)' });
  return metricsFromCells(cells, unique.select('group', ...GROUP_KEYS).dedupe('group'));
}
