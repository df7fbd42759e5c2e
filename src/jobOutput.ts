// What a run needs from Arrow, Arquero and parquet-wasm, in one module that runJob starts loading
// with the first reads: loading these (~0.3 s of CPU as separate modules, ~35 ms in the command's
// bundle) then overlaps the first files' parsing.
import * as aq from 'arquero';
import type { ColumnTable } from 'arquero';
import { tableToIPC, type Table } from 'apache-arrow';
import { groupKeyColumns, pivotedColumns } from './metrics/aggregatePartition.ts';
import type { GroupCounts } from './metrics/countRows.ts';
import { metricsFromKeyedCounts } from './metrics/metricsFromCells.ts';
import { metricsToArrow } from './write/metricsToArrow.ts';

export { joinMetrics } from './write/metricsToArrow.ts';
export { writeToTarget } from './write/writeParquet.ts';

/**
 * The metrics rows of partitions counted in datehour order, in the output schema, from their counts
 * per group: one Arquero table and one `derive` for all of them. Arquero compiles a derive's
 * expressions at each call, which costs more than a partition of ~10k groups takes to compute.
 */
export function partitionsMetrics(parts: readonly GroupCounts[]): Table {
  return metricsToArrow(metricsFromKeyedCounts(aq.table({ ...groupKeyColumns(parts), ...pivotedColumns(parts) })));
}

/** The output as an Arquero table for the caller (int64 read back as numbers). */
export function resultTable(output: Table): ColumnTable {
  return aq.fromArrow(tableToIPC(output, 'stream'));
}
