import { StageTimes } from '../report/StageTimes.ts';
import type { Partition } from '../partitions/selectPartitions.ts';
import type { Source } from '../source/Source.ts';
import { partitionTable } from './partitionTable.ts';
import { readPartitionFiles, type PartitionEvents, type ReadOptions } from './readPartitionFiles.ts';

export { DEFAULT_CONCURRENCY, defaultWorkers, isHiddenName, readPartitionFiles, validateConcurrency } from './readPartitionFiles.ts';
export type { PartitionEvents, PartitionFiles, ReadOptions } from './readPartitionFiles.ts';

/**
 * Reads partitions one after another in datehour order, yielding each as one Arrow table as soon as
 * its files are read (`readPartitionFiles` says how files are read).
 *
 * @example
 * for await (const { partition, table } of readPartitions(source, partitions, { concurrency: 8 })) {
 *   console.log(partition.datehour, table.numRows);
 * }
 */
export async function* readPartitions(source: Source, partitions: readonly Partition[], options: ReadOptions = {}): AsyncGenerator<PartitionEvents> {
  const times = options.times ?? new StageTimes();
  for await (const { parsed, ...read } of readPartitionFiles(source, partitions, { ...options, times, judgeTokens: false })) {
    yield { ...read, table: times.measure('assemble', () => partitionTable(read.partition.datehour, parsed)) };
  }
}

