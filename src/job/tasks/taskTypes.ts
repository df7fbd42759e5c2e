// What a queued run's tasks share and hand each other, as plain JSON (it travels through Redis): the
// run's plan, each kind of task, and what a task hands back.
import type { Partition } from '../../partitions/selectPartitions.ts';
import type { FileSplit } from '../../read/planSplits.ts';
import type { TallyCounts } from '../../report/Tally.ts';
import type { TaskUsage } from '../../report/TaskUsage.ts';
import type { S3Options } from '../../s3/createS3Client.ts';
import type { RetryCounts } from '../../s3/retryKinds.ts';
import type { InputFile } from '../../state/manifest.ts';
import type { CompressionName } from '../../write/encodeParquet.ts';
import type { PartitionBase } from '../statePartitions.ts';
import type { WorkBytes } from './WorkStore.ts';

/**
 * What every task of one queued run shares. Plain JSON: it travels through Redis, so it holds S3
 * settings but never credentials (workers take theirs from their own environment).
 *
 * @example
 * const plan: RunPlan = { runId, root: 's3://events/raw', partitions, reads, shards, work: 's3://scratch/run-1', buckets: 16, strict: false, concurrency: 8, workers: 0, compression: 'snappy' };
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
 * duplicates of one id bucket over every read, in run order; count shards of partitions (one of a large
 * one, or small consecutive ones whole), their duplicates left out. The run then merges each partition's
 * shards into the output.
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
   * `losers`: where those partitions' losers are in each bucket's duplicates file (from the dedup tasks' `partitionRanges`);
   * `readRows`: the events of each of those partitions' reads, in run order (a loser past them is damage).
   */
  | { kind: 'count'; run: RunRef; units: CountUnit[]; losers: number[]; readRows: number[] }
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
 * const { tally, idRanges }: TaskResult = await runTask({ kind: 'read', run, read: 0 });
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
  /** Bytes the task wrote to the work location and read from it (the plan included). */
  work?: WorkBytes;
  /** What the task cost its worker (`--profile` sums these by kind). */
  usage?: TaskUsage;
  /** stateRead: the partition's entry in the next manifest, but for what counting gives. */
  state?: PartitionBase;
}
