import type { Partition } from '../../partitions/selectPartitions.ts';
import { readPartitionFiles } from '../../read/readPartitionFiles.ts';
import type { FileSplit } from '../../read/planSplits.ts';
import type { InputFile } from '../../state/manifest.ts';
import { openStateStore } from '../../state/openStateStore.ts';
import { ObjectWriter, readPartition, type PartitionBase } from '../statePartitions.ts';
import type { TallyCounts } from '../../report/Tally.ts';
import { measureTask, type TaskUsage } from '../../report/TaskUsage.ts';
import { ConsentMetricsError } from '../../errors.ts';
import type { S3Options } from '../../s3/createS3Client.ts';
import { isS3Url } from '../../s3/parseS3Url.ts';
import { retriesBetween, type RetryCounts } from '../../s3/retryKinds.ts';
import { openSource } from '../../source/openSource.ts';
import type { CompressionName } from '../../write/encodeParquet.ts';
import { countTask, dedupTask, readTask } from './stageTasks.ts';
import { openWorkStore } from './openWorkStore.ts';
import type { WorkStore } from './WorkStore.ts';

/** The BullMQ queue every run and worker uses; runs are told apart by their id, in every job id. */
export const QUEUE_NAME = 'consent-metrics';

/**
 * What every task of one queued run shares. Plain JSON: it travels through Redis, so it holds S3
 * settings but never credentials (workers take theirs from their own environment).
 *
 * @example
 * const plan: RunPlan = { runId, root: 's3://events/raw', partitions, work: 's3://scratch/run-1', buckets: 16, strict: false, concurrency: 8, workers: 0, compression: 'snappy' };
 */
export interface RunPlan {
  /** Unique per run. */
  runId: string;
  /** Input root, local (reachable by every worker) or `s3://`. */
  root: string;
  /** The partitions to read, in datehour order. */
  partitions: Partition[];
  /** The read tasks, in run order: each some splits of one partition (`runsOf`). */
  reads: PlannedRead[];
  /** Count tasks of each partition: its rows are counted in this many shards of its users (a power of two). */
  shards: number[];
  /** This run's folder in the work location. */
  work: string;
  /** How many buckets ids are split into: each dedup task holds one bucket of the run's ids. */
  buckets: number;
  /** Strict mode: the first rejected line or invalid token fails the run. */
  strict: boolean;
  /** Hours a kept copy of an id makes later copies duplicates (`JobOptions.lookback`); absent: unlimited. */
  lookback?: number;
  /** Files in flight at once, per read task. */
  concurrency: number;
  /** Parser threads per read task (local files); 0 parses on the task's own thread. */
  workers: number;
  /** Bytes of a local uncompressed file one split reads (`ReadOptions.splitBytes`); absent: the default. */
  splitBytes?: number;
  /** Parquet output, as `--out`. */
  out?: string;
  /** Parquet compression. */
  compression: CompressionName;
}

/**
 * One read task of a run: some splits of one partition, in order.
 *
 * @example
 * const read: PlannedRead = { partition: 0, splits: [{ key: 'datehour=2021-01-23-10/part-0.json' }] };
 */
export interface PlannedRead {
  /** Index into the plan's partitions. */
  partition: number;
  splits: FileSplit[];
}

/**
 * Where a task finds its run's plan: the plan itself is written once, in the run's work folder
 * ({@link PLAN_KEY}), so that Redis holds each task's few numbers, not a copy of every partition's
 * name per task (which grew with partitions squared).
 *
 * @example
 * const run: RunRef = { runId: plan.runId, work: plan.work, s3: { region: 'eu-west-1' } };
 */
export interface RunRef {
  runId: string;
  /** The run's folder in the work location. */
  work: string;
  /**
   * S3 endpoint, region, attempts and timeouts (no client, no credentials), when the input, the work
   * location or the output is on S3: a task makes its client from them.
   */
  s3?: Omit<S3Options, 'client' | 'credentials'>;
}

/**
 * One unit of work, as a BullMQ job's data, by stage: read some splits (`PlannedRead`); find the
 * duplicates of one id bucket over every read, in run order; count one shard of one partition, its
 * duplicates left out. The run then merges each partition's shards into the output.
 *
 * @example
 * const task: Task = { kind: 'dedup', run, bucket: 3, ids };
 */
export type Task =
  | { kind: 'read'; run: RunRef; read: number }
  /** `ids`: where the bucket is in each read's ids file (start, end; the read tasks' `idRanges`, in run order). */
  | { kind: 'dedup'; run: RunRef; bucket: number; ids: number[] }
  /**
   * `units`: the (partition, shard) pairs to count, of consecutive partitions, each with where the shard is
   * in each of its partition's reads' rows file, and its rows (start, end, rows; their `rowRanges`);
   * `losers`: where those partitions' losers are in each bucket's duplicates file (from the dedup tasks' `partitionRanges`).
   */
  | { kind: 'count'; run: RunRef; units: CountUnit[]; losers: number[] }
  | { kind: 'stateRead'; read: StateRead };

/**
 * One shard of one partition, as a count task counts it (see `Task`).
 *
 * @example
 * const unit: CountUnit = { partition: 3, shard: 0, rows: [0, 81_920, 1_204] };
 */
export interface CountUnit {
  partition: number;
  shard: number;
  rows: number[];
}

/**
 * A partition an incremental run (`--state` with `--queue`) has a worker read: its new objects go
 * straight into the state, and the task hands back their entry for the manifest.
 *
 * @example
 * const read: StateRead = { root: 's3://events/raw', state: 's3://results/state/', version, partition, files, strict: false, concurrency: 8, s3: {} };
 */
export interface StateRead {
  root: string;
  state: string;
  /** The run's name for its new objects (`ObjectWriter`). */
  version: string;
  partition: Partition;
  /** Its files as the run listed them, for the manifest. */
  files: InputFile[];
  strict: boolean;
  concurrency: number;
  /** As {@link RunPlan.splitBytes}. */
  splitBytes?: number;
  s3: Omit<S3Options, 'client' | 'credentials'>;
}

/**
 * What a task hands back through Redis: small counts only; the data stays in the work location.
 *
 * @example
 * const { tally, files }: TaskResult = await runTask({ kind: 'read', run, partition: 0 });
 */
export interface TaskResult {
  /** S3 requests this task retried, by kind. */
  retries: RetryCounts;
  /** read: lines read and rejected, with examples, line numbers counted from each file's first split in the task. */
  tally?: TallyCounts;
  /** read: invalid tokens, with examples, numbered as `tally`'s. */
  tokens?: TallyCounts;
  /** read: lines each file's splits in the task hold, in order (the run moves later tasks' line numbers on by them). */
  lines?: { file: string; lines: number }[];
  /** read: where each bucket is in the task's ids file (start, end exclusive, bucket after bucket). */
  idRanges?: number[];
  /** read: where each count shard is in the task's rows file, and its rows (start, end, rows, shard after shard). */
  rowRanges?: number[];
  /** read: events before deduplication. */
  rows?: number;
  /** dedup: where each partition's losers are in the bucket's duplicates file (start, end, in datehour order). */
  partitionRanges?: number[];
  /** dedup: the bucket's duplicates. */
  duplicates?: number;
  /** count: groups in each of its units' counts. */
  groups?: number[];
  /** count: events counted (duplicates left out). */
  kept?: number;
  /** What the task cost its worker (`--profile` sums these by kind). */
  usage?: TaskUsage;
  /** stateRead: the partition's entry in the next manifest, but for what counting gives. */
  state?: PartitionBase;
}

/** The run's plan, as JSON, in its work folder: written by the run before its first task. */
export const PLAN_KEY = 'plan.json';
// 3: read tasks of splits, count tasks of (partition, shard), dedup before counting.
const PLAN_FORMAT = 'consent-metrics-run-plan/3';

/**
 * Runs one task. Every task only reads what earlier stages wrote and writes files of its own, whole,
 * so running it twice (a worker lost mid-task) gives the same files.
 *
 * @example
 * await runTask({ kind: 'read', run, partition: 0 });
 */
export async function runTask(task: Task): Promise<TaskResult> {
  const { value, usage } = await measureTask(() => (task.kind === 'stateRead' ? stateReadTask(task.read) : planTask(task)));
  return { ...value, usage };
}

/**
 * Writes a run's plan where its tasks find it (`RunRef`). Before any task is added.
 *
 * @example
 * await writePlan(plan, await openWorkStore(plan.work));
 */
export async function writePlan(plan: RunPlan, store: WorkStore): Promise<void> {
  // JSON has no Infinity: a split open at its end (`splitsOf`'s last) is written with end null.
  await store.put(PLAN_KEY, new TextEncoder().encode(JSON.stringify({ format: PLAN_FORMAT, ...plan })));
}

/** The plans of the runs this worker took tasks of lately: read once a run, not once a task. */
const plans = new Map<string, Promise<RunPlan>>();
const PLANS_KEPT = 4;

function planOf(run: RunRef, store: WorkStore): Promise<RunPlan> {
  let plan = plans.get(run.runId);
  if (!plan) {
    plan = store.get(PLAN_KEY).then((bytes) => {
      const { format, ...read } = JSON.parse(new TextDecoder().decode(bytes), (key, value) => (key === 'end' && value === null ? Infinity : value)) as RunPlan & { format: unknown };
      // Runs and workers of different versions cannot share tasks: say so, rather than misread them.
      if (format !== PLAN_FORMAT || read.runId !== run.runId) {
        throw new ConsentMetricsError(`${store.describe(PLAN_KEY)} is not a plan this worker reads (${JSON.stringify(format)}, run ${read.runId}): run workers of the run's version`);
      }
      return read;
    });
    plan.catch(() => plans.delete(run.runId)); // a failed read is tried again by the task's next attempt
    plans.set(run.runId, plan);
    for (const old of [...plans.keys()].slice(0, -PLANS_KEPT)) plans.delete(old);
  }
  return plan;
}

/**
 * A task's S3 settings with a client of its own when the run uses S3, and the retries that client has
 * made so far. The AWS SDK is loaded only then: ~0.2 s of CPU in every worker process otherwise.
 */
async function taskS3(settings: Omit<S3Options, 'client' | 'credentials'> | undefined): Promise<{ s3: S3Options; retriesSoFar: () => Promise<RetryCounts | undefined> }> {
  if (!settings) return { s3: {}, retriesSoFar: async () => undefined };
  const [{ createS3Client }, { retryCountsOf }] = await Promise.all([import('../../s3/createS3Client.ts'), import('../../s3/retries.ts')]);
  const client = createS3Client(settings);
  return { s3: { ...settings, client }, retriesSoFar: () => retryCountsOf(client) };
}

async function planTask(task: Exclude<Task, { kind: 'stateRead' }>): Promise<TaskResult> {
  const { run } = task;
  const { s3, retriesSoFar } = await taskS3(run.s3);
  try {
    const before = await retriesSoFar();
    const store = await openWorkStore(run.work, s3);
    const plan = await planOf(run, store);
    let result: Omit<TaskResult, 'retries'>;
    switch (task.kind) {
      case 'read':
        result = await readTask(plan, task.read, store, s3);
        break;
      case 'dedup':
        result = await dedupTask(plan, task.bucket, task.ids, store);
        break;
      case 'count':
        result = await countTask(plan, task, store);
        break;
    }
    return { ...result, retries: retriesBetween(before, await retriesSoFar()) };
  } finally {
    s3.client?.destroy(); // a failed task too: a worker runs for weeks, its sockets must not pile up
  }
}

/** Reads one partition of an incremental run, on this thread, and writes its objects into the state. */
async function stateReadTask(read: StateRead): Promise<TaskResult> {
  const { s3, retriesSoFar } = await taskS3([read.root, read.state].some(isS3Url) ? read.s3 : undefined);
  try {
    const before = await retriesSoFar();
    const [source, store] = await Promise.all([openSource(read.root, s3), openStateStore(read.state, s3)]);
    const objects = new ObjectWriter(store, read.version);
    let state: PartitionBase | undefined;
    for await (const files of readPartitionFiles(source, [read.partition], { concurrency: read.concurrency, workers: 0, judgeTokens: true, splitBytes: read.splitBytes })) {
      state = await readPartition(read.partition.datehour, read.files, files, new Map(), objects, read.strict).base();
    }
    return { state, retries: retriesBetween(before, await retriesSoFar()) };
  } finally {
    s3.client?.destroy();
  }
}
