import type { ParsedFile } from '../read/ParsedFile.ts';
import { NO_HOUR, type IdSet } from './IdSet.ts';

/**
 * Marks the rows of one partition's files (in key order) whose id is already in `seenIds`, from
 * earlier partitions or earlier rows, and adds the others: 1 = a duplicate, left out of the counts.
 * Call it for every partition of a run in datehour order; the set keeps each file's id bytes.
 *
 * @example
 * const seenIds = new IdSet();
 * const duplicates = markDuplicates(read.parsed, seenIds); // then countPartition(..., duplicates, ...)
 */
export function markDuplicates(
  files: readonly Pick<ParsedFile, 'rows' | 'idBytes' | 'idOffsets' | 'idHashes'>[],
  seenIds: IdSet,
  { hour = 0, earlierHours }: MarkOptions = {},
): Uint8Array {
  const marks = new Uint8Array(files.reduce((sum, file) => sum + file.rows, 0));
  // Without a lookback, a copy of an earlier kept id is a duplicate whatever the set holds: the set's
  // fast path (reads ahead), then those rows marked. (Its first copy here goes in the set: later copies
  // here are duplicates either way.)
  const plain = seenIds.lookback === undefined;
  let row = 0;
  for (const file of files) {
    const column = seenIds.keep(file.idBytes, file.idOffsets, hour);
    if (plain) seenIds.addColumn(column, file.idHashes, file.rows, marks, row);
    else seenIds.addColumnWithin(column, file.idHashes, file.rows, marks, row, earlierHours?.subarray(row, row + file.rows));
    row += file.rows;
  }
  if (plain && earlierHours) for (let at = 0; at < marks.length; at++) if (earlierHours[at] !== NO_HOUR) marks[at] = 1;
  if (seenIds.lookback !== undefined) seenIds.forgetBefore(hour - seenIds.lookback);
  return marks;
}

/**
 * Where a partition sits in time, and what came before the set.
 *
 * @example
 * markDuplicates(files, new IdSet({ lookback: 24 }), { hour: hoursSince1970('2021-01-23-10') });
 */
export interface MarkOptions {
  /** The partition's hour (`hoursSince1970` of its datehour): read with a lookback. Default: 0. */
  hour?: number;
  /**
   * Per row of the files (one after another), the hour of the latest kept copy of its id in partitions
   * the set does not hold (an incremental run's earlier partitions), or `NO_HOUR`. Default: none.
   */
  earlierHours?: Int32Array;
}
