import type { Partition } from '../partitions/selectPartitions.ts';
import type { Source } from '../source/Source.ts';
import { readPartitions, type PartitionEvents, type ReadOptions } from './readPartitions.ts';

/**
 * Reads every file of one partition (in key order, skipping names that start with `_` or `.`) into
 * one Arrow table; see {@link readPartitions}.
 *
 * @example
 * const { table, tally } = await readPartition(source, { datehour: '2021-01-23-10', key: 'datehour=2021-01-23-10' });
 */
export async function readPartition(source: Source, partition: Partition, options: ReadOptions = {}): Promise<PartitionEvents> {
  for await (const events of readPartitions(source, [partition], options)) return events;
  throw new Error('unreachable: readPartitions yields one result per partition');
}
