// What a run needs from Arrow, Arquero and parquet-wasm, in one module that runJob starts loading
// with the first reads: loading these (~0.3 s of CPU as separate modules, ~35 ms in the command's
// bundle) then overlaps the first files' parsing.
import * as aq from 'arquero';
import type { ColumnTable } from 'arquero';
import { tableToIPC, type Table } from 'apache-arrow';
import { pivotedColumns } from '../metrics/aggregatePartition.ts';
import type { CountedGroups } from '../metrics/countRows.ts';
import { metricValues } from '../metrics/metricsFromCells.ts';
import { COUNT_METRICS, GROUP_KEYS, RATIO_METRICS } from '../metrics/metricDefinitions.ts';
import { encodeParquet, type CompressionName } from '../write/encodeParquet.ts';
import { breakdownToArrow, countedMetricsToArrow, groupedMetrics, joinMetrics, metricsToArrow } from '../write/metricsToArrow.ts';
import type { Grouping } from '../metrics/grouping.ts';
import type { PartitionCounts } from './countPartition.ts';

export { batchesOf } from './metricsBatches.ts';
export { joinMetrics };
export { tableFromIPC, tableToIPC } from 'apache-arrow'; // an incremental run's stored metrics
export { writeToTarget } from '../write/writeParquet.ts';

/**
 * The metrics rows of partitions counted in datehour order, in the output schema, from their counts
 * per group: one Arquero table and one `derive` for all of them. Arquero compiles a derive's
 * expressions at each call, which costs more than a partition of ~10k groups takes to compute.
 */
export function partitionsMetrics(parts: readonly CountedGroups[]): Table {
  return countedMetricsToArrow(parts, metricValues(aq.table(pivotedColumns(parts))));
}

/**
 * The output of a run grouped otherwise than the standard metrics, from its units' counts in time order:
 * the breakdown `by` purpose or vendor, or the metrics with the grain's time column and the keys kept.
 */
export function groupedOutput(units: readonly PartitionCounts[], grouping: Grouping): Table {
  if (grouping.by !== undefined) return breakdownToArrow(units.map((unit) => unit.breakdown!), grouping);
  const counts = units.map((unit) => unit.counts);
  return groupedMetrics(counts.length > 0 ? partitionsMetrics(counts) : joinMetrics([]), grouping);
}

/** The output as an Arquero table for the caller (int64 read back as numbers). */
export function resultTable(output: Table): ColumnTable {
  return aq.fromArrow(tableToIPC(output, 'stream'));
}

/**
 * Encodes a small made-up metrics table as Parquet, for nothing but its side effect: V8 compiles
 * parquet-wasm's code lazily and runs it slowly until hot, which made the run's one write, at its
 * end with a core idle, ~60% slower than a second one. Done while the main thread waits for the first
 * files (20-70 ms there, beside the workers), it takes ~40 ms off the end: 2M events ran 1.16 s with
 * it, 1.185 s without (8 alternated pairs).
 */
export function warmUpParquet(compression: CompressionName): void {
  const rows = 2000;
  const columns: Record<string, unknown[]> = {};
  const keys: Record<(typeof GROUP_KEYS)[number], (row: number) => string | null> = {
    datehour: () => '2021-01-23-10', domain: (row) => `domain-${row % 97}.example`, country: (row) => [null, 'DE', 'ES', 'FR'][row % 4]!,
  };
  for (const name of GROUP_KEYS) columns[name] = Array.from({ length: rows }, (_, row) => keys[name](row));
  COUNT_METRICS.forEach((name, index) => (columns[name] = Array.from({ length: rows }, (_, row) => (row * (index + 3)) % 11)));
  for (const name of RATIO_METRICS) columns[name] = Array.from({ length: rows }, (_, row) => (row % 13) / 7);
  encodeParquet(tableToIPC(metricsToArrow(aq.table(columns)), 'stream'), compression);
}
