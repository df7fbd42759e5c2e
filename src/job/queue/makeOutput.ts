import type { Table } from 'apache-arrow';
import { pMapIterable } from 'p-map';
import type { S3Options } from '../../s3/createS3Client.ts';
import { openSink } from '../../write/openSink.ts';
import { writeBatchesToTarget, type MetricsBatch } from '../../write/writeParquet.ts';
import { StageTimes } from '../../report/StageTimes.ts';
import { partitionsMetrics } from '../jobOutput.ts';
import { batchesOf, METRICS_BATCH_GROUPS } from '../metricsBatches.ts';
import { readCounts, type ReadPartition, type RunPlan } from './tasks.ts';
import type { WorkStore } from './WorkStore.ts';

/**
 * A queued run's output, made by the run once its read and dedup tasks have ended: partitions in
 * datehour order, a batch of ~50k groups at a time, their counts read from the work location with
 * their duplicates taken out (`readCounts`), made into metrics (one Arquero call a batch, as in an
 * in-process run) and sent into the Parquet writer. A failure leaves `--out` as it was (a temporary
 * file removed, a multipart upload aborted). `read`: the read tasks' figures, in the plan's order;
 * `duplicateRanges`: the dedup tasks', by bucket. `times` gets `count` (waiting for the counts, less
 * their losers), `metrics` and `write` (the rest: encoding and writing). `groupsPerBatch` is for tests:
 * smaller batches, the same bytes.
 *
 * @example
 * const { tables, written } = await makeOutput(plan, store, s3, read, dedups.map((dedup) => dedup.duplicateRanges!));
 */
export async function makeOutput(plan: RunPlan, store: WorkStore, s3: S3Options, read: readonly ReadPartition[], duplicateRanges: readonly number[][],
  times = new StageTimes(), groupsPerBatch = METRICS_BATCH_GROUPS): Promise<{ tables: Table[]; written: string[] }> {
  const started = performance.now();
  const before = times.milliseconds.count + times.milliseconds.metrics;
  const tables: Table[] = [];
  const numbered = read.map((partition, index) => ({ ...partition, index }));
  // The next batch's counts are read while this one's metrics are made.
  const counted = pMapIterable(batchesOf(numbered, groupsPerBatch), (batch) => readCounts(store, batch, batch[0]!.index, duplicateRanges), { concurrency: 2, backpressure: 2 });

  async function* batches(): AsyncGenerator<MetricsBatch> {
    const iterator = counted[Symbol.asyncIterator]();
    for (;;) {
      const next = await times.wait('count', () => iterator.next()); // what this thread waits for them
      if (next.done) return;
      const table = times.measure('metrics', () => partitionsMetrics(next.value));
      tables.push(table);
      yield { metrics: table, datehours: next.value.map(({ datehour }) => datehour) };
    }
  }

  try {
    if (plan.out !== undefined) return { tables, written: await writeBatchesToTarget(batches(), await openSink(plan.out, s3), plan.compression) };
    for await (const _ of batches());
    return { tables, written: [] };
  } finally {
    times.milliseconds.write += performance.now() - started - (times.milliseconds.count + times.milliseconds.metrics - before);
  }
}
