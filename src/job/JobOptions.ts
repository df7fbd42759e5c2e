import type { ColumnTable } from 'arquero';
import type { PartitionSelection } from '../partitions/selectPartitions.ts';
import type { RunReport } from '../report/RunReport.ts';
import type { StageTimes } from '../report/StageTimes.ts';
import type { S3Options } from '../s3/createS3Client.ts';
import type { CompressionName } from '../write/compressions.ts';
import type { Breakdown, Grain, GroupKeyName } from '../metrics/grouping.ts';

/**
 * What the whole job reads, how, and where it writes: every CLI flag has its option here.
 *
 * @example
 * const options: JobOptions = { root: 's3://events/raw', from: '2021-01-23-00', out: 's3://results/metrics/', strict: true };
 */
export interface JobOptions extends PartitionSelection {
  /** Input root holding `datehour=YYYY-MM-DD-HH/` folders: a local folder or `s3://bucket/prefix`. */
  root: string;
  /** Parquet output, local or `s3://`: a file, or a folder ending in `/` for one file per datehour. Default: none written. */
  out?: string;
  /** S3 client settings (endpoint, region, attempts, or a ready client), for an `s3://` root or output. Default: the standard AWS chain. */
  s3?: S3Options;
  /** Parquet compression. Default: `'snappy'`. */
  compression?: CompressionName;
  /**
   * Hours: a copy of an id is a duplicate only when the kept copy lies in a partition at most this many
   * hours before its own (the same partition always counts); further back it counts again, as with
   * Spark's `dropDuplicatesWithinWatermark`. Default: unlimited, the first copy in the run wins.
   */
  lookback?: number;
  /** Keep what a later run needs, and read only what changed since (see {@link StateOptions}). Default: none. */
  state?: StateOptions;
  /** Fail on the first reported line (rejected line or invalid token) and write nothing. Default: false. */
  strict?: boolean;
  /** Files and listings in flight at once (queued: per read task). Default: 8; S3 objects on worker threads: 4 a thread, at least 8. */
  concurrency?: number;
  /**
   * Worker threads parsing files; 0 parses on the calling thread. Default: one per 128 MiB of local files
   * listed, one per core for S3, at most the cores and 8; queued: 0, each read task parsing on its
   * worker's thread (workers scale by process).
   */
  workers?: number;
  /**
   * Bytes of a local uncompressed file one split reads: a larger file is read as byte ranges cut at line
   * boundaries, each parsed on its own (on any thread; queued, within each read task). Default: 128 MiB.
   */
  splitBytes?: number;
  /** Called after each partition is processed, e.g. for progress (local runs; a run that spills under `memory` calls `onTask` instead). Default: none. */
  onPartition?: (done: { datehour: string; files: number; bytes: number; lines: number; events: number; of: number }) => void;
  /**
   * The memory the run may use, in bytes or as a size (`'512MiB'`, `'4GB'`): a run whose input would not
   * fit runs as tasks on this process's threads, each sized to its share, keeping what does not fit in
   * `temp` (README, "Memory"). Its peak stays within this plus a fixed ~100 MiB (the runtime, threads and
   * WebAssembly). Below 188 MiB it is refused. With `state`, it bounds the earlier partitions' ids; not with
   * `queue` alone. A run that spills takes `workers` as its most threads, and ignores `dedupLanes` (its dedup
   * tasks take a bucket each). Default: 80% of the machine's memory, or of its container's limit.
   */
  memory?: number | string;
  /** Where a run under `memory` keeps what does not fit: a folder of its own in it, removed at the end. Default: the OS's temporary folder. */
  temp?: string;
  /**
   * Called as tasks end in a run that spills under `memory` (it runs in tasks, not a partition at a time:
   * `onPartition` is not called). Not with `queue` (use `queue.onTask`) or `state`. Default: none.
   */
  onTask?: (progress: { done: number; of: number }) => void;
  /** Run as tasks on `consent-metrics worker` processes, through a BullMQ queue (see {@link QueueOptions}). Default: run here. */
  queue?: QueueOptions;
  /**
   * Id buckets: copies of an id only meet in its bucket. In-process, shared out among the threads' dedup lanes
   * (default 64); queued, each one dedup task's share of the run's ids (default one per 176 MiB of listed input, at
   * least 4). Not with `state`, whose run deduplicates on its main thread.
   */
  buckets?: number;
  /**
   * In-process, without `state`: dedup lanes, each a range of buckets deduplicated on one worker thread.
   * Default: one per 4 threads (1 on a machine of up to 4 cores); with no worker thread, on the main thread.
   */
  dedupLanes?: number;
  /**
   * Each partition counted in this many shards of its users (a power of two; every (group, user) pair in
   * one, so the result is exact): in-process, on as many threads; through the queue, as many count tasks.
   * Not with `state`. Default: in-process, a partition over 512 MiB of listed input in a shard per thread
   * (rounded up to a power of two), smaller ones whole; queued, one per 256 MiB of the partition's input.
   */
  countShards?: number;
  /**
   * A breakdown by `'purpose'` or `'vendor'` in place of the metrics (SPEC.md, "Breakdown by purpose or by
   * vendor"): per group, type and name, the events and those whose token lists the name enabled or disabled.
   * In-process only: not with `queue` or `state`, nor a run whose input exceeds `memory`. Default: the metrics.
   */
  by?: Breakdown;
  /**
   * `'hour'` (a `datehour` column) or `'day'` (a `date` column, counts over the day's events, users distinct
   * over the day), for the metrics and breakdowns. In-process only, as `by`. Default: `'hour'`.
   */
  grain?: Grain;
  /**
   * The keys rows are grouped by besides time: `['domain', 'country']`, `['domain']` or `['country']`; a key left
   * out is not a column and its groups merge (users distinct over the merged group). In-process only, as `by`.
   * Default: both.
   */
  keys?: GroupKeyName[];
}

/**
 * Where a run's tasks go (`runJob({ queue })`, `--queue`): a BullMQ queue on Redis that
 * `consent-metrics worker` processes take tasks from.
 *
 * @example
 * const queue: QueueOptions = { url: 'redis://10.0.0.5:6379', work: 's3://scratch/consent-metrics' };
 */
export interface QueueOptions {
  /** The Redis holding the queue, `redis://HOST:PORT`. */
  url: string;
  /**
   * A folder or `s3://` prefix every worker reaches, for the data tasks hand each other (emptied at the
   * end). Needed without `state`; not with it (workers then write what they read into the state).
   */
  work?: string;
  /** How long Redis may be unreachable before the run fails, in milliseconds. Default: 20,000. */
  timeout?: number;
  /** Called as tasks finish, e.g. for progress. */
  onTask?: (progress: { done: number; of: number }) => void;
}

/**
 * Where an incremental run keeps what a later run needs (`runJob({ state })`, `--state`; docs/state.md):
 * a later run with the same state reads only partitions that are new or whose files changed, and gives
 * what one run over everything would.
 *
 * @example
 * const state: StateOptions = { location: 's3://results/state/' };
 */
export interface StateOptions {
  /** A folder or `s3://` prefix. */
  location: string;
}

/**
 * What a run gives back: the metrics, the report, and the files it wrote.
 *
 * @example
 * const { metrics, report, written }: JobResult = await runJob({ root: 'fixtures/example/input', out: 'out/m.parquet' });
 */
export interface JobResult {
  /**
   * One row per (datehour, domain, country) of the datehours the run selected; the columns of SPEC.md.
   * With `state`, those rows as one run over every partition the state has gives them (an hourly run
   * gives its hour, not the whole history; `out` as one file holds the whole history).
   */
  metrics: ColumnTable;
  /** What was read, left out, deduplicated and retried. */
  report: RunReport;
  /** Files written, when `out` was given. */
  written: string[];
  /** Where the time went, by stage (`--profile` prints it). */
  times: StageTimes;
}
