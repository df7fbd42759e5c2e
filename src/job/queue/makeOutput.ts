import type { Table } from 'apache-arrow';
import { pMapIterable } from 'p-map';
import type { S3Options } from '../../s3/createS3Client.ts';
import { openSink } from '../../write/openSink.ts';
import { writeBatchesToTarget, type MetricsBatch } from '../../write/writeParquet.ts';
import { StageTimes } from '../../report/StageTimes.ts';
import { partitionsMetrics } from '../jobOutput.ts';
import { batchesOf, METRICS_BATCH_GROUPS } from '../metricsBatches.ts';
import { readCounts, readLosers, type ReadPartition, type RunPlan } from './tasks.ts';
import type { WorkStore } from './WorkStore.ts';

/**
 * A queued run's output, made by the run once its read and dedup tasks have ended: partitions in
 * datehour order, a batch of ~50k groups at a time, their counts read from the work location with
 * their duplicates taken out (`readCounts`), made into metrics (one Arquero call a batch, as in an
 * in-process run) and sent into the Parquet writer. A failure leaves `--out` as it was (a temporary
 * file removed, a multipart upload aborted). `read`: the read tasks' figures, in the plan's order;
 * `duplicateRanges`: the dedup tasks', by bucket. Losers are read a window of batches at a time, one
 * ranged read a bucket for up to {@link LOSERS_PER_READ} of them (on S3 each read is a GET: a day of
 * 24 big partitions and 3,577 buckets would be 85k GETs a partition at a time). `times` gets `count`
 * (waiting for the counts, less their losers), `metrics` and `write` (the rest: encoding and writing).
 * `groupsPerBatch` and `losersPerRead` are for tests: smaller batches and windows, the same bytes.
 *
 * @example
 * const { tables, written } = await makeOutput(plan, store, s3, read, dedups.map((dedup) => dedup.duplicateRanges!));
 */
export async function makeOutput(plan: RunPlan, store: WorkStore, s3: S3Options, read: readonly ReadPartition[], duplicateRanges: readonly number[][],
  times = new StageTimes(), groupsPerBatch = METRICS_BATCH_GROUPS, losersPerRead = LOSERS_PER_READ): Promise<{ tables: Table[]; written: string[] }> {
  const started = performance.now();
  const before = times.milliseconds.count + times.milliseconds.metrics;
  const tables: Table[] = [];
  const numbered = read.map((partition, index) => ({ ...partition, index }));
  const windows = losersWindows(batchesOf(numbered, groupsPerBatch), duplicateRanges, losersPerRead);
  const losersRead = new Map<number, Promise<Int32Array[]>>();
  const losersOf = (window: number) => {
    let read = losersRead.get(window);
    if (!read) losersRead.set(window, (read = readLosers(store, windows[window]!.first, windows[window]!.end, duplicateRanges)));
    return read;
  };
  const jobs = windows.flatMap(({ batches }, window) => batches.map((batch, at) => ({ batch, window, last: at === batches.length - 1 })));
  // The next batch's counts are read while this one's metrics are made; a window's losers once for its batches.
  const counted = pMapIterable(jobs, async ({ batch, window, last }) => {
    const losers = await losersOf(window);
    if (last) losersRead.delete(window); // its batches hold what they need
    const offset = batch[0]!.index - windows[window]!.first;
    return readCounts(store, batch, losers.slice(offset, offset + batch.length));
  }, { concurrency: 2, backpressure: 2 });

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

/**
 * Losers read at once, all buckets together: 64 MiB (~530M events at the bench data's 3% of duplicates;
 * the run holds them twice while it joins each partition's). A day of 24 partitions of 83M events
 * then takes 4 windows, 4 GETs a bucket.
 */
export const LOSERS_PER_READ = 16 * 2 ** 20;

/**
 * Consecutive batches grouped so that each group's losers, all buckets together, are at most
 * `losersPerRead` (a batch with more is a window of its own): partitions `[first, end)` of the plan.
 */
function losersWindows<Batch extends { index: number }[]>(batches: Batch[], duplicateRanges: readonly number[][], losersPerRead: number): { batches: Batch[]; first: number; end: number }[] {
  const losersIn = (first: number, end: number) => duplicateRanges.reduce((sum, ranges) => sum + (ranges[2 * end - 1]! - ranges[2 * first]!) / 4, 0);
  const windows: { batches: Batch[]; first: number; end: number }[] = [];
  for (const batch of batches) {
    const end = batch.at(-1)!.index + 1;
    const window = windows.at(-1);
    if (window && losersIn(window.first, end) <= losersPerRead) {
      window.batches.push(batch);
      window.end = end;
    } else {
      windows.push({ batches: [batch], first: batch[0]!.index, end });
    }
  }
  return windows;
}
