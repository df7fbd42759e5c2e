import type { ParsedFile } from '../read/ParsedFile.ts';
import type { IdSet } from './IdSet.ts';

/**
 * Marks the rows of one partition's files (in key order) whose id is already in `seenIds`, from
 * earlier partitions or earlier rows, and adds the others: 1 = a duplicate, left out of the counts.
 * Call it for every partition of a run in datehour order; the set keeps each file's id bytes.
 *
 * @example
 * const seenIds = new IdSet();
 * const duplicates = markDuplicates(read.parsed, seenIds); // then countPartition(..., duplicates, ...)
 */
export function markDuplicates(files: readonly Pick<ParsedFile, 'rows' | 'idBytes' | 'idOffsets' | 'idHashes'>[], seenIds: IdSet): Uint8Array {
  const marks = new Uint8Array(files.reduce((sum, file) => sum + file.rows, 0));
  let row = 0;
  for (const file of files) {
    seenIds.addColumn(seenIds.keep(file.idBytes, file.idOffsets), file.idHashes, file.rows, marks, row);
    row += file.rows;
  }
  return marks;
}
