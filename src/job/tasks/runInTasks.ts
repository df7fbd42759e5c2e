import { randomUUID } from 'node:crypto';
import { MetricsNotKeptError } from '../../errors.ts';
import type { JobOptions, JobResult } from '../JobOptions.ts';
import { selectPartitions, type SelectedPartitions } from '../../partitions/selectPartitions.ts';
import pMap from 'p-map';
import { DEFAULT_CONCURRENCY, validateConcurrency } from '../../read/readPartitions.ts';
import { listDataFiles } from '../../read/readPartitionFiles.ts';
import { runsOf, splitsOf, validateSplitBytes } from '../../read/planSplits.ts';
import { validateBuckets } from '../../metrics/idBuckets.ts';
import { validateCountShards } from '../../metrics/countInShards.ts';
import { assembleReport } from '../../report/RunReport.ts';
import { StageTimes } from '../../report/StageTimes.ts';
import { Tally, type TallyCounts } from '../../report/Tally.ts';
import { usageByKind, type TaskKindUsage } from '../../report/TaskUsage.ts';
import type { S3Options } from '../../s3/createS3Client.ts';
import { isS3Url } from '../../s3/parseS3Url.ts';
import { noRetries, retriesBetween, RETRY_KINDS, type RetryCounts } from '../../s3/retryKinds.ts';
import { openSource } from '../../source/openSource.ts';
import { joinMetrics, resultTable } from '../jobOutput.ts';
import { jsonBytesOf, QUEUE_TASK_SIZES, type TaskSizes } from '../memoryBudget.ts';
import { makeOutput, type CountedPartition } from './makeOutput.ts';
import { resultsBefore, type TaskSession } from './TaskSession.ts';
import { writePlan, type PlannedRead, type RunPlan, type RunRef, type Task, type TaskResult } from './tasks.ts';
import type { Source } from '../../source/Source.ts';
import { openWorkStore } from './openWorkStore.ts';
import { countingWorkStore, type WorkBytes } from './WorkStore.ts';

/**
 * What a run in tasks reads and writes: `runJob`'s options but those that choose where it runs.
 *
 * @example
 * const options: TaskRunOptions = { root: 's3://events/raw', out: 's3://results/m.parquet' };
 */
export type TaskRunOptions = Omit<JobOptions, 'queue' | 'state' | 'onPartition' | 'onTask' | 'dedupLanes' | 'memory' | 'temp'>;

/**
 * Where and how a run's tasks run: the scheduler's part (`runQueuedJob`: workers through Redis;
 * `runBounded`: this process's threads under a memory budget).
 *
 * @example
 * const where: TaskRunSetup = { work: '/mnt/shared/work', openSession: (runId) => openQueueSession(url, 20_000, runId), readThreads: 0 };
 */
export interface TaskRunSetup {
  /** A folder or `s3://` prefix the tasks reach: the run's own folder is made in it and emptied at the end. */
  work: string;
  /** Opens the session the tasks go through, once the run's folder holds its plan. */
  openSession: (runId: string) => Promise<TaskSession>;
  /** Parser threads each read task starts (0: it parses on its own thread). */
  readThreads: number;
  /** How large the tasks are. Default: {@link QUEUE_TASK_SIZES}. */
  sizes?: TaskSizes;
  /**
   * With `out`: rows of metrics the run keeps to hand back at most; past them, the output is only written
   * and reading `metrics` throws a {@link MetricsNotKeptError}. Default: every row.
   */
  keepRows?: number;
  /**
   * The tasks run in this process (on its threads): they get the S3 client's settings with its
   * credentials (through Redis they never travel: workers take theirs from their environment).
   */
  sameProcess?: boolean;
  /** The partitions and their files, when the caller listed them already (its source made with the run's `s3`). */
  listing?: RunListing;
}

/**
 * A run's partitions and each one's data files, as listed.
 *
 * @example
 * const listing = await listRun(source, { from: '2021-01-23-10' });
 */
export interface RunListing extends SelectedPartitions {
  /** The source listed: it knows the files' sizes. */
  source: Source;
  /** Each partition's data files (`listDataFiles`), in partition order. */
  listed: string[][];
}

/**
 * Lists a run's partitions and their data files, `concurrency` listings at once.
 *
 * @example
 * const { partitions, listed } = await listRun(source, { from: '2021-01-23-10' }, 8);
 */
export async function listRun(source: Source, selection: Parameters<typeof selectPartitions>[1], concurrency = DEFAULT_CONCURRENCY): Promise<RunListing> {
  const selected = await selectPartitions(source, selection);
  return { ...selected, source, listed: await pMap(selected.partitions, (partition) => listDataFiles(source, partition), { concurrency }) };
}

/**
 * Runs the job as tasks in three stages, each waiting for the one before, and gives exactly what a
 * local `runJob` gives: read (a task per run of a partition's splits, up to `splitBytes`: its ids by
 * bucket and its counting columns by count shard, to the work location), dedup (a task per bucket: the
 * ids that lose to an earlier copy, over every read in run order), count (a task per shard of a large
 * partition's users, or consecutive small partitions together: their rows less their losers). No task
 * holds more than a split, a bucket or a shard, so no hour is too large, and the tasks' sizes bound
 * their memory. The run then merges each partition's shards, makes the output in datehour order and
 * commits it. The run's folder in the work location is deleted at the end, whether the run succeeded
 * or failed. `times` gets the run's own stages: list, waiting (for the tasks), count, metrics and write.
 *
 * @example
 * const { metrics, report } = await runInTasks({ root: 'data/events' }, { work: '/tmp/cm', openSession: async () => openThreadSession(2), readThreads: 0 });
 */
export async function runInTasks({
  root, out, s3 = {}, compression = 'snappy', strict = false, lookback, concurrency = DEFAULT_CONCURRENCY, workers: _,
  buckets: bucketsGiven, countShards, splitBytes: splitBytesGiven, ...selection
}: TaskRunOptions, { work, openSession, readThreads, sizes = QUEUE_TASK_SIZES, keepRows = Infinity, listing, sameProcess = false }: TaskRunSetup, times = new StageTimes()): Promise<Omit<JobResult, 'times'> & { tasks: Record<string, TaskKindUsage>; work: WorkBytes }> {
  validateConcurrency(concurrency);
  if (bucketsGiven !== undefined) validateBuckets(bucketsGiven);
  if (countShards !== undefined) validateCountShards(countShards);
  if (splitBytesGiven !== undefined) validateSplitBytes(splitBytesGiven);
  const splitBytes = splitBytesGiven ?? sizes.splitBytes;
  // Tasks make their own clients, with their own credentials: the plan travels as JSON.
  const { client, credentials, ...forTasks } = s3;
  const usesS3 = [root, work, out ?? ''].some(isS3Url);
  // The AWS SDK loads only for a run that uses S3.
  const here: S3Options = usesS3 ? { ...s3, client: client ?? (await import('../../s3/createS3Client.ts')).createS3Client(s3) } : {};
  const retriesSoFar = async () => (here.client ? (await import('../../s3/retries.ts')).retryCountsOf(here.client) : undefined);
  const { source, partitions, warnings, listed } = listing ?? await times.wait('list', async () => listRun(await openSource(root, here), selection, concurrency));
  // Each partition's bytes of JSON (gzip weighted; undefined when the source lists no sizes): the buckets, count shards and count tasks follow them.
  const partitionBytes = listed.map((keys) => jsonBytesOf(source, keys));
  const listedBytes = partitionBytes.some((bytes) => bytes === undefined) ? undefined : partitionBytes.reduce((sum: number, bytes) => sum + bytes!, 0);
  const buckets = bucketsGiven ?? bucketsFor(listedBytes, sizes.bucketBytes);
  const runId = randomUUID();
  const plan: RunPlan = {
    runId, root, partitions, work: `${work.replace(/\/+$/, '')}/${runId}`, buckets, strict, lookback, concurrency, workers: readThreads, splitBytes, out, compression,
    reads: plannedReads(source, listed, splitBytes),
    shards: partitionBytes.map((bytes) => countShards ?? countShardsFor(bytes, sizes.countShardBytes)),
  };
  const store = countingWorkStore(await openWorkStore(plan.work, here));

  let session: TaskSession;
  try {
    session = await openSession(runId);
  } catch (error) {
    if (!client) here.client?.destroy();
    throw error;
  }
  session.total = plan.reads.length + buckets + countUnits(plan.shards, partitionBytes, sizes.countShardBytes).length;
  const retriesBefore = await retriesSoFar();

  try {
    await writePlan(plan, store);
    const withCredentials = sameProcess && here.client ? (await import('../../s3/createS3Client.ts')).settingsOf(here.client) : undefined;
    const run: RunRef = { runId, work: plan.work, ...(usesS3 && { s3: withCredentials ?? forTasks }) };
    const dates = partitions.map((partition) => partition.datehour);
    let readOfPartition = 0;
    const readNames = plan.reads.map(({ partition }, read) => `${dates[partition]}.${read > 0 && plan.reads[read - 1]!.partition === partition ? ++readOfPartition : (readOfPartition = 0)}`);
    const reads = await times.wait('waiting', () => session.stage(plan.reads.map((_, read) => ({ kind: 'read', run, read })), readNames)).catch((error: unknown) => {
      // A read failed: as in-process, the partitions before its own are taken first, so their first problem in strict mode is the run's failure.
      const before = resultsBefore(error);
      if (strict && before) {
        const failedPartition = plan.reads[before.length]!.partition;
        tallyInRunOrder(plan, before.filter((_, read) => plan.reads[read]!.partition < failedPartition), true);
      }
      throw error;
    });
    const tally = tallyInRunOrder(plan, reads, strict); // strict mode fails here, on the run's first problem
    // Each task is told where its share is in the files the stage before wrote.
    const bucketNames = Array.from({ length: buckets }, (_, bucket) => String(bucket));
    const dedups = await times.wait('waiting', () => session.stage(bucketNames.map((_, bucket) => ({
      kind: 'dedup', run, bucket, ids: reads.flatMap(({ idRanges }) => idRanges!.slice(2 * bucket, 2 * bucket + 2)),
    })), bucketNames));
    const counting = countTasks(plan, run, reads, dedups, partitionBytes, sizes.countShardBytes);
    const counted = await times.wait('waiting', () => session.stage(counting.tasks, counting.names));
    const countedPartitions = counting.partitionsOf(counted);
    await session.release();
    const { tables, written, rows } = await makeOutput(plan, store, here, countedPartitions, times, undefined, out === undefined ? Infinity : keepRows);

    const report = assembleReport({
      root, partitions: dates, files: listed.reduce((sum, keys) => sum + keys.length, 0), tally,
      events: counted.reduce((sum, result) => sum + result.kept!, 0), duplicates: dedups.reduce((sum, result) => sum + result.duplicates!, 0), warnings,
      retries: sumRetries([...reads, ...dedups, ...counted, { retries: retriesBetween(retriesBefore, await retriesSoFar()) }]),
    });
    const tasks = usageByKind([...reads.map((result) => ({ kind: 'read', ...result })), ...dedups.map((result) => ({ kind: 'dedup', ...result })), ...counted.map((result) => ({ kind: 'count', ...result }))]);
    const workBytes = [...reads, ...dedups, ...counted].reduce((sum, { work: bytes }) => ({ written: sum.written + (bytes?.written ?? 0), read: sum.read + (bytes?.read ?? 0) }), { ...store.bytes });
    const result = { report, written, tasks, work: workBytes };
    if (tables === undefined) {
      return Object.defineProperty(result, 'metrics', { enumerable: true, get: () => { throw new MetricsNotKeptError(rows, written, keepRows); } }) as typeof result & Pick<JobResult, 'metrics'>;
    }
    const metrics = times.measure('result', () => resultTable(joinMetrics(tables)));
    return { ...result, metrics };
  } finally {
    await session.settle(); // before the folder is emptied
    await store.clear();
    await session.close();
    if (!client) here.client?.destroy();
  }
}

/**
 * A run's read tasks: each partition's files (`listed`, by partition) in splits of `splitBytes`, in
 * runs of up to `splitBytes` (`runsOf`), in run order.
 *
 * @example
 * const reads = plannedReads(source, [['datehour=2021-01-23-10/part-0.json']]);
 */
export function plannedReads(source: Source, listed: readonly string[][], splitBytes = QUEUE_TASK_SIZES.splitBytes): PlannedRead[] {
  return listed.flatMap((keys, partition) => runsOf(source, splitsOf(source, keys, splitBytes), splitBytes).map((splits) => ({ partition, splits })));
}

/**
 * The read tasks' tallies as one stream's: each task's line numbers moved on by the lines of its files
 * in the tasks before it; per partition, its rejected lines, then its invalid tokens, as an in-process
 * run takes them. In strict mode, the first problem in that order fails the run.
 */
function tallyInRunOrder(plan: RunPlan, reads: readonly TaskResult[], strict: boolean): Tally {
  const tally = new Tally(strict);
  const linesBefore = new Map<string, number>();
  const moved = reads.map(({ tally: rejected, tokens, lines }) => {
    const move = (counts: TallyCounts): TallyCounts => ({ ...counts, examples: counts.examples.map((problem) => ({ ...problem, line: problem.line + (linesBefore.get(problem.file) ?? 0) })) });
    const shifted = { rejected: move(rejected!), tokens: move(tokens!) };
    for (const { file, lines: count } of lines!) linesBefore.set(file, (linesBefore.get(file) ?? 0) + count);
    return shifted;
  });
  plan.partitions.forEach((_, partition) => {
    const ofPartition = moved.filter((_, read) => plan.reads[read]!.partition === partition);
    const rejected = new Tally();
    for (const { rejected: counts } of ofPartition) rejected.merge(counts);
    tally.merge(rejected);
    for (const { tokens } of ofPartition) tally.merge(tokens);
  });
  return tally;
}

/**
 * Count shards for a partition of `bytes` listed: a power of two, one per `shardBytes` at least; 1
 * when sizes are unknown. At the queue's 256 MiB (~700k events at the bench data's ~380 bytes an
 * event), a shard's rows, marks and counting memory add ~65 MiB to a worker that has read splits
 * (512 MiB added ~130 MiB: 413 MiB at the peak on the 50M-event hour, docs/performance.md).
 */
function countShardsFor(bytes: number | undefined, shardBytes: number): number {
  return bytes === undefined ? 1 : 2 ** Math.ceil(Math.log2(Math.max(1, bytes / shardBytes)));
}

/**
 * A run's count tasks, from its read and dedup tasks' results (`bytes`: each partition's listed input),
 * with their names, and how their results make each partition's counted shards.
 *
 * @example
 * const counting = countTasks(plan, run, reads, dedups, bytes);
 * const partitions = counting.partitionsOf(await session.stage(counting.tasks, counting.names));
 */
export function countTasks(plan: RunPlan, run: RunRef, reads: readonly TaskResult[], dedups: readonly TaskResult[], bytes: readonly (number | undefined)[], shardBytes = QUEUE_TASK_SIZES.countShardBytes) {
  const dates = plan.partitions.map(({ datehour }) => datehour);
  const units = countUnits(plan.shards, bytes, shardBytes);
  const tasks = units.map((taskUnits): Task => {
    const [first, last] = [taskUnits[0]!.partition, taskUnits.at(-1)!.partition];
    return {
      kind: 'count', run,
      units: taskUnits.map(({ partition, shard }) => ({
        partition, shard,
        rows: reads.flatMap((result, read) => (plan.reads[read]!.partition === partition ? result.rowRanges!.slice(3 * shard, 3 * shard + 3) : [])),
      })),
      losers: dedups.flatMap(({ partitionRanges }) => [partitionRanges![2 * first]!, partitionRanges![2 * last + 1]!]),
      readRows: reads.flatMap((result, read) => (plan.reads[read]!.partition >= first && plan.reads[read]!.partition <= last ? [result.rows!] : [])),
    };
  });
  const names = units.map((taskUnits) => {
    const [first, last] = [taskUnits[0]!, taskUnits.at(-1)!];
    return first === last ? `${dates[first.partition]}.${first.shard}` : `${dates[first.partition]}..${dates[last.partition]}`;
  });
  const partitionsOf = (counted: readonly TaskResult[]): CountedPartition[] => {
    const shardGroups = plan.shards.map((shards) => new Array<number>(shards).fill(0));
    units.forEach((taskUnits, task) => taskUnits.forEach(({ partition, shard }, at) => (shardGroups[partition]![shard] = counted[task]!.groups![at]!)));
    return shardGroups.map((groups, partition) => ({ datehour: dates[partition]!, groups: groups.reduce((sum, count) => sum + count, 0), shardGroups: groups }));
  };
  return { tasks, names, partitionsOf };
}

/**
 * The count tasks of a run, each a list of (partition, shard) to count: a task per shard of a partition
 * in several shards; consecutive partitions in one shard together, up to `shardBytes` of listed input
 * (unknown sizes: each alone). A task reads each
 * bucket's losers of its partitions in one ranged read, and pays a task's fixed cost once: an hour of
 * 83k events, alone, took ~15 ms of a worker's CPU to count and as much again to run as a task.
 *
 * @example
 * countUnits([1, 1, 4], [30e6, 30e6, 900e6]); // [[p0 s0, p1 s0], [p2 s0], [p2 s1], [p2 s2], [p2 s3]]
 */
export function countUnits(shards: readonly number[], bytes: readonly (number | undefined)[], shardBytes = QUEUE_TASK_SIZES.countShardBytes): { partition: number; shard: number }[][] {
  const tasks: { partition: number; shard: number }[][] = [];
  let group: { partition: number; shard: number }[] = [];
  let groupBytes = 0;
  shards.forEach((count, partition) => {
    const size = bytes[partition] ?? Infinity;
    if (count > 1 || group.length > 0 && groupBytes + size > shardBytes) {
      if (group.length > 0) tasks.push(group);
      (group = []), (groupBytes = 0);
    }
    if (count > 1) {
      for (let shard = 0; shard < count; shard++) tasks.push([{ partition, shard }]);
      return;
    }
    group.push({ partition, shard: 0 });
    groupBytes += size;
  });
  if (group.length > 0) tasks.push(group);
  return tasks;
}


/** Buckets at the least, so that the dedup stage runs on several workers. */
const MIN_BUCKETS = 4;

/**
 * Id buckets for `bytes` of listed input: one per `bucketBytes` (an id takes ~80 bytes in a dedup task's
 * set, for ~350 bytes of JSON: the queue's 176 MiB take ~40 MiB, small enough that a worker's peak stays
 * near the one a small run gives, 20M events within 10% of 2M, at the cost of more, smaller ranged
 * reads, 7% more CPU at 20M than 512 MiB), at least {@link MIN_BUCKETS}; 16 when sizes are unknown.
 *
 * @example
 * bucketsFor(6.6e9); // 36
 */
export function bucketsFor(bytes: number | undefined, bucketBytes = QUEUE_TASK_SIZES.bucketBytes): number {
  return bytes === undefined ? 16 : Math.max(MIN_BUCKETS, Math.ceil(bytes / bucketBytes));
}

function sumRetries(results: Pick<TaskResult, 'retries'>[]): RetryCounts {
  const sum = noRetries();
  for (const { retries } of results) for (const kind of RETRY_KINDS) sum[kind] += retries[kind];
  return sum;
}
