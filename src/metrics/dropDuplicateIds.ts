import * as aq from 'arquero';
import type { ColumnTable } from 'arquero';

/**
 * Keeps the first row of each id, in table order, and leaves out ids already in `seenIds` (from
 * earlier partitions of the same run), adding the ids it keeps to `seenIds`. Pass one set to every
 * partition, in datehour order, to deduplicate a whole run one partition at a time.
 *
 * @example
 * const seenIds = new Set<string>();
 * const first = dropDuplicateIds(hour10, seenIds);
 * const second = dropDuplicateIds(hour11, seenIds); // without ids that hour10 had
 */
export function dropDuplicateIds(events: ColumnTable, seenIds: Set<string> = new Set()): ColumnTable {
  // A Set of strings, not a groupby: the set is what must outlive the partition anyway.
  return events.filter(
    aq.escape((row: { id: string }) => {
      if (seenIds.has(row.id)) return false;
      seenIds.add(row.id);
      return true;
    }),
  );
}
