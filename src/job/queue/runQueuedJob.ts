import { randomUUID } from 'node:crypto';
import type { JobOptions, JobResult } from '../JobOptions.ts';
import { selectPartitions, type Partition } from '../../partitions/selectPartitions.ts';
import pMap from 'p-map';
import type { Source } from '../../source/Source.ts';
import { DEFAULT_CONCURRENCY, validateConcurrency } from '../../read/readPartitions.ts';
import { sumOfSizes } from '../../read/readPartitionFiles.ts';
import { validateBuckets } from '../../metrics/idBuckets.ts';
import { assembleReport } from '../../report/RunReport.ts';
import { StageTimes } from '../../report/StageTimes.ts';
import { Tally } from '../../report/Tally.ts';
import { usageByKind, type TaskKindUsage } from '../../report/TaskUsage.ts';
import type { S3Options } from '../../s3/createS3Client.ts';
import { isS3Url } from '../../s3/parseS3Url.ts';
import { noRetries, retriesBetween, RETRY_KINDS, type RetryCounts } from '../../s3/retryKinds.ts';
import { openSource } from '../../source/openSource.ts';
import { joinMetrics, resultTable } from '../jobOutput.ts';
import { openQueueSession } from './queueSession.ts';
import { makeOutput } from './makeOutput.ts';
import { writePlan, type RunPlan, type RunRef, type TaskResult } from './tasks.ts';
import { openWorkStore } from './openWorkStore.ts';

/**
 * A run through the queue: `runJob`'s options with `queue` and `work` given (`onPartition` is not
 * called: partitions are counted on the workers; `onTask` reports progress).
 *
 * @example
 * const options: QueuedJobOptions = { root: 's3://events/raw', out: 's3://results/m.parquet', queue: 'redis://10.0.0.5:6379', work: 's3://scratch/consent-metrics' };
 */
export type QueuedJobOptions = JobOptions & Required<Pick<JobOptions, 'queue' | 'work'>>;

/**
 * Runs the job through a BullMQ queue on Redis, on as many `consent-metrics worker` processes as
 * are running, and gives exactly what a local `runJob` gives. Two stages, the second waiting for the
 * first: read (a task per partition: its counts of every row, with each row's trail, and its ids by
 * bucket to the work location), dedup (a task per bucket: the ids that lose to an earlier copy). The
 * run then takes the losers out of the counts, makes the output in datehour order and commits it. The
 * run's folder in the work location is deleted at the end, whether the run succeeded or failed.
 * `times` gets the run's own stages: list, waiting (for the tasks), count, metrics and write.
 *
 * @example
 * const { metrics, report } = await runQueuedJob({ root: 'data/events', queue: 'redis://127.0.0.1:6379', work: '/mnt/shared/work' });
 */
export async function runQueuedJob({
  root, out, s3 = {}, compression = 'snappy', strict = false, lookback, concurrency = DEFAULT_CONCURRENCY, workers = 0, queue: queueUrl, work,
  buckets: bucketsGiven, queueTimeout = 20_000, onTask, onPartition: _, splitBytes, ...selection
}: QueuedJobOptions, times = new StageTimes()): Promise<Omit<JobResult, 'times'> & { tasks: Record<string, TaskKindUsage> }> {
  validateConcurrency(concurrency);
  if (bucketsGiven !== undefined) validateBuckets(bucketsGiven);
  // Workers make their own clients, with their own credentials: the plan travels through Redis.
  const { client, credentials, ...forWorkers } = s3;
  const usesS3 = [root, work, out ?? ''].some(isS3Url);
  // The AWS SDK loads only for a run that uses S3.
  const here: S3Options = usesS3 ? { ...s3, client: client ?? (await import('../../s3/createS3Client.ts')).createS3Client(s3) } : {};
  const retriesSoFar = async () => (here.client ? (await import('../../s3/retries.ts')).retryCountsOf(here.client) : undefined);
  const source = await openSource(root, here);
  const { partitions, warnings, buckets } = await times.wait('list', async () => {
    const selected = await selectPartitions(source, selection);
    return { ...selected, buckets: bucketsGiven ?? bucketsFor(await listedBytes(source, selected.partitions, concurrency)) };
  });
  const runId = randomUUID();
  const plan: RunPlan = {
    runId, root, partitions, work: `${work.replace(/\/+$/, '')}/${runId}`, buckets, strict, lookback, concurrency, workers, splitBytes, out, compression,
  };
  const store = await openWorkStore(plan.work, here);

  const session = await openQueueSession(queueUrl, queueTimeout, runId, onTask).catch((error: unknown) => {
    if (!client) here.client?.destroy();
    throw error;
  });
  session.total = partitions.length + buckets;
  const retriesBefore = await retriesSoFar();

  try {
    await writePlan(plan, store);
    const run: RunRef = { runId, work: plan.work, ...(usesS3 && { s3: forWorkers }) };
    const dates = partitions.map((partition) => partition.datehour);
    const reads = await times.wait('waiting', () => session.stage(partitions.map((_, partition) => ({ kind: 'read', run, partition })), dates));
    // Each task is told where its share is in the files the stage before wrote (one per partition, one per bucket).
    const bucketNames = Array.from({ length: buckets }, (_, bucket) => String(bucket));
    const dedups = await times.wait('waiting', () => session.stage(bucketNames.map((_, bucket) => ({
      kind: 'dedup', run, bucket, ids: reads.flatMap(({ idRanges }) => idRanges!.slice(2 * bucket, 2 * bucket + 2)),
    })), bucketNames));
    const read = reads.map(({ rows, groups }, partition) => ({ datehour: dates[partition]!, rows: rows!, groups: groups! }));
    const duplicateRanges = dedups.map(({ duplicateRanges }) => duplicateRanges!);
    const { tables, written } = await makeOutput(plan, store, here, read, duplicateRanges, times);
    const metrics = times.measure('result', () => joinMetrics(tables));

    const tally = new Tally();
    for (const result of reads) tally.merge(result.tally!);
    // Each loser is in one bucket's file once: 4 bytes a row.
    const duplicates = duplicateRanges.reduce((sum, ranges) => sum + (ranges.at(-1) ?? 0) / 4, 0);
    const report = assembleReport({
      root, partitions: dates, files: reads.reduce((sum, result) => sum + result.files!, 0), tally,
      events: read.reduce((sum, partition) => sum + partition.rows, 0) - duplicates, duplicates, warnings,
      retries: sumRetries([...reads, ...dedups, { retries: retriesBetween(retriesBefore, await retriesSoFar()) }]),
    });
    const tasks = usageByKind([...reads.map((result) => ({ kind: 'read', ...result })), ...dedups.map((result) => ({ kind: 'dedup', ...result }))]);
    return { metrics: times.measure('result', () => resultTable(metrics)), report, written, tasks };
  } finally {
    await session.settle(); // before the folder is emptied
    await store.clear();
    await session.close();
    if (!client) here.client?.destroy();
  }
}

/**
 * Input bytes a dedup task's bucket covers at most, when the buckets follow the input: its ids then
 * take ~40 MiB. Small enough that a worker's peak stays near the one a small run gives (20M events:
 * within 10% of 2M), at the cost of more, smaller ranged reads (7% more CPU at 20M than 512 MiB).
 */
export const INPUT_BYTES_PER_BUCKET = 176 * 2 ** 20;
/** Buckets at the least, so that the dedup stage runs on several workers. */
const MIN_BUCKETS = 4;

/**
 * Id buckets for `bytes` of listed input: one per {@link INPUT_BYTES_PER_BUCKET} (an id takes ~80 bytes
 * in a dedup task's set, for ~350 bytes of JSON), at least {@link MIN_BUCKETS}; 16 when sizes are unknown.
 *
 * @example
 * bucketsFor(6.6e9); // 36
 */
export function bucketsFor(bytes: number | undefined): number {
  return bytes === undefined ? 16 : Math.max(MIN_BUCKETS, Math.ceil(bytes / INPUT_BYTES_PER_BUCKET));
}

/** The listed size of every file of `partitions`, or undefined when the source does not list sizes. */
async function listedBytes(source: Source, partitions: readonly Partition[], concurrency: number): Promise<number | undefined> {
  if (!source.sizeOf) return undefined;
  return sumOfSizes(source, (await pMap(partitions, (partition) => source.listFiles(partition.key), { concurrency })).flat());
}

function sumRetries(results: Pick<TaskResult, 'retries'>[]): RetryCounts {
  const sum = noRetries();
  for (const { retries } of results) for (const kind of RETRY_KINDS) sum[kind] += retries[kind];
  return sum;
}
