import pMap, { pMapIterable } from 'p-map';
import type { Table } from 'apache-arrow';
import { ConsentMetricsError } from '../errors.ts';
import type { Partition } from '../partitions/selectPartitions.ts';
import { Tally } from '../report/Tally.ts';
import type { Source } from '../source/Source.ts';
import { eventTable } from './eventTable.ts';
import { isHiddenName, readEventFile } from './readEventFile.ts';

export const DEFAULT_CONCURRENCY = 8;

export interface ReadOptions {
  /** Files (and listings) in flight at once, across partitions. Default: 8. */
  concurrency?: number;
  /** Fail on the first rejected line instead of counting it. Default: false. */
  strict?: boolean;
}

/** One partition's events as Arrow, with what was seen while reading them. */
export interface PartitionEvents {
  partition: Partition;
  /** Accepted events; see `eventTable` for the columns. */
  table: Table;
  /** Files read. */
  files: number;
  tally: Tally;
}

/**
 * Reads partitions one after another in datehour order, yielding each as soon as its files are read.
 * Files of all partitions are read under one `concurrency` bound (the next partition's files start
 * while this one's finish), and only a bounded number of read-ahead files wait in memory, so memory
 * follows the largest partition, not the whole run.
 *
 * @example
 * for await (const { partition, table } of readPartitions(source, partitions, { concurrency: 8 })) {
 *   console.log(partition.datehour, table.numRows);
 * }
 */
export async function* readPartitions(
  source: Source,
  partitions: readonly Partition[],
  { concurrency = DEFAULT_CONCURRENCY, strict = false }: ReadOptions = {},
): AsyncGenerator<PartitionEvents> {
  validateConcurrency(concurrency);
  const listed = await pMap(partitions, async (partition) => {
    const keys = await source.listFiles(partition.key);
    return { partition, keys: keys.filter((key) => !isHiddenName(key.slice(key.lastIndexOf('/') + 1))) };
  }, { concurrency });

  const jobs = listed.flatMap(({ keys }, index) => keys.map((key) => ({ index, key })));
  const files = pMapIterable(jobs, async ({ index, key }) => ({ index, ...(await readEventFile(source, key, strict)) }), {
    concurrency,
  });
  const iterator = files[Symbol.asyncIterator]();
  let next = await iterator.next();
  for (const [index, { partition, keys }] of listed.entries()) {
    const tally = new Tally(strict);
    const columns = [];
    for (; !next.done && next.value.index === index; next = await iterator.next()) {
      tally.merge(next.value.tally);
      columns.push(next.value.columns);
    }
    yield { partition, table: eventTable(partition.datehour, columns), files: keys.length, tally };
  }
}

/** Throws, quoting the bad value, unless `concurrency` is a whole number from 1. */
export function validateConcurrency(concurrency: number): void {
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new ConsentMetricsError(`concurrency must be a whole number from 1, got ${JSON.stringify(concurrency)}`);
  }
}
