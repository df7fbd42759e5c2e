// What a run needs from Arrow, Arquero and parquet-wasm, in one module that runJob imports when the
// first partition is counted: loading these (~0.2 s) then overlaps the first files' parsing.
import * as aq from 'arquero';
import type { ColumnTable } from 'arquero';
import { tableToIPC, type Table } from 'apache-arrow';
import { groupKeyColumns, pivotedColumns } from './metrics/aggregatePartition.ts';
import type { GroupCounts } from './metrics/countRows.ts';
import { metricsFromKeyedCounts } from './metrics/metricsFromCells.ts';
import { metricsToArrow } from './write/metricsToArrow.ts';

export { joinMetrics } from './write/metricsToArrow.ts';
export { writeToTarget } from './write/writeParquet.ts';

/** One partition's metrics rows, in the output schema, from its counts per group. */
export function partitionMetrics(counts: GroupCounts): Table {
  return metricsToArrow(metricsFromKeyedCounts(aq.table({ ...groupKeyColumns(counts), ...pivotedColumns(counts) })));
}

/** The output as an Arquero table for the caller (int64 read back as numbers). */
export function resultTable(output: Table): ColumnTable {
  return aq.fromArrow(tableToIPC(output, 'stream'));
}
