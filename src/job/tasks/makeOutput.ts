import type { Table } from 'apache-arrow';
import pMap, { pMapIterable } from 'p-map';
import { mergeShardsOf } from '../../metrics/countInShards.ts';
import type { S3Options } from '../../s3/createS3Client.ts';
import { openSink } from '../../write/openSink.ts';
import { writeBatchesToTarget, type MetricsBatch } from '../../write/writeParquet.ts';
import { StageTimes } from '../../report/StageTimes.ts';
import { partitionsMetrics } from '../jobOutput.ts';
import { batchesOf, METRICS_BATCH_GROUPS } from '../metricsBatches.ts';
import { readShardCounts } from './stageTasks.ts';
import type { RunPlan } from './tasks.ts';
import type { WorkStore } from './WorkStore.ts';

/**
 * A partition whose count tasks ended: its datehour, and the groups each of its shards counted.
 *
 * @example
 * const partition: CountedPartition = { datehour: '2021-01-23-10', groups: 4_210, shardGroups: [4_210] };
 */
export interface CountedPartition {
  datehour: string;
  /** Groups at most once its shards are merged (their sum): what a batch is sized by. */
  groups: number;
  /** Each shard's groups, as its count task said. */
  shardGroups: number[];
}

/**
 * A queued run's output, made by the run once its count tasks have ended: partitions in datehour
 * order, a batch of ~50k groups at a time, each partition's shards read from the work location and
 * merged, made into metrics (one Arquero call a batch, as in an in-process run) and sent into the
 * Parquet writer. A failure leaves `--out` as it was (a temporary file removed, a multipart upload
 * aborted). `times` gets `count` (waiting for the counts to be read and merged), `metrics` and `write`
 * (the rest: encoding and writing). `groupsPerBatch` is for tests: smaller batches, the same bytes.
 * The metrics are kept to hand back up to `keepRows` rows; past them `tables` is undefined (`rows` says
 * how many there were).
 *
 * @example
 * const { tables, written } = await makeOutput(plan, store, s3, counted);
 */
export async function makeOutput(plan: RunPlan, store: WorkStore, s3: S3Options, counted: readonly CountedPartition[],
  times = new StageTimes(), groupsPerBatch = METRICS_BATCH_GROUPS, keepRows = Infinity): Promise<{ tables?: Table[]; written: string[]; rows: number }> {
  const started = performance.now();
  const before = times.milliseconds.count + times.milliseconds.metrics;
  let tables: Table[] | undefined = [];
  let rows = 0;
  // The next batch's counts are read while this one's metrics are made.
  const merged = pMapIterable(batchesOf(counted, groupsPerBatch), (batch) => pMap(batch, async ({ datehour, shardGroups }) =>
    mergeShardsOf(datehour, await Promise.all(shardGroups.map((groups, shard) => readShardCounts(store, datehour, shard, groups)))), { concurrency: 8 }),
  { concurrency: 2, backpressure: 2 });

  async function* batches(): AsyncGenerator<MetricsBatch> {
    const iterator = merged[Symbol.asyncIterator]();
    for (;;) {
      const next = await times.wait('count', () => iterator.next()); // what this thread waits for them
      if (next.done) return;
      const table = times.measure('metrics', () => partitionsMetrics(next.value));
      rows += table.numRows;
      if (rows > keepRows) tables = undefined;
      tables?.push(table);
      yield { metrics: table, datehours: next.value.map(({ datehour }) => datehour) };
    }
  }

  try {
    if (plan.out !== undefined) {
      const written = await writeBatchesToTarget(batches(), await openSink(plan.out, s3), plan.compression);
      return { tables, written, rows };
    }
    for await (const _ of batches());
    return { tables, written: [], rows };
  } finally {
    times.milliseconds.write += performance.now() - started - (times.milliseconds.count + times.milliseconds.metrics - before);
  }
}
