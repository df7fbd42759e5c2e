import pMap, { pMapIterable } from 'p-map';
import type { TokenFacts } from '../../expand/parseToken.ts';
import { countTrackedRows, type CountedGroups, type GroupCounts, type RowTrail } from '../../metrics/countRows.ts';
import { withoutRows } from '../../metrics/withoutRows.ts';
import { hoursSince1970 } from '../../partitions/parseDatehour.ts';
import type { Partition } from '../../partitions/selectPartitions.ts';
import { concatInt32 } from '../../read/columnBuilders.ts';
import { readPartitionFiles } from '../../read/readPartitions.ts';
import type { InputFile } from '../../state/manifest.ts';
import { openStateStore } from '../../state/openStateStore.ts';
import { decodeBlob, encodeBlob, type BlobColumn } from '../../state/stateBlobs.ts';
import { expandFiles, ObjectWriter, readPartition, type PartitionBase } from '../statePartitions.ts';
import type { TallyCounts } from '../../report/Tally.ts';
import { measureTask, type TaskUsage } from '../../report/TaskUsage.ts';
import { ConsentMetricsError } from '../../errors.ts';
import type { S3Options } from '../../s3/createS3Client.ts';
import { isS3Url } from '../../s3/parseS3Url.ts';
import { retriesBetween, type RetryCounts } from '../../s3/retryKinds.ts';
import { openSource } from '../../source/openSource.ts';
import type { CompressionName } from '../../write/encodeParquet.ts';
import { splitIds } from '../../metrics/idBuckets.ts';
import { DedupLane } from '../../metrics/DedupLane.ts';
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
 * One unit of work, as a BullMQ job's data: read (and count) one partition, or find the duplicates of
 * one id bucket. The run itself takes the duplicates out of the counts and makes the output.
 *
 * @example
 * const task: Task = { kind: 'dedup', run, bucket: 3, ids };
 */
export type Task =
  | { kind: 'read'; run: RunRef; partition: number }
  /** `ids`: where the bucket is in each partition's ids file (start, end; the read tasks' `idRanges`). */
  | { kind: 'dedup'; run: RunRef; bucket: number; ids: number[] }
  | { kind: 'stateRead'; read: StateRead };

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
  /** read: files read. */
  files?: number;
  /** read: lines read and left out, with examples. */
  tally?: TallyCounts;
  /** read: where each bucket is in the partition's ids file (start, end exclusive, bucket after bucket). */
  idRanges?: number[];
  /** dedup: where each partition's losing rows are in the bucket's duplicates file (start, end, in datehour order). */
  duplicateRanges?: number[];
  /** read: events before deduplication. */
  rows?: number;
  /** read: the partition's groups (domain x country) before deduplication. */
  groups?: number;
  /** What the task cost its worker (`--profile` sums these by kind). */
  usage?: TaskUsage;
  /** stateRead: the partition's entry in the next manifest, but for what counting gives. */
  state?: PartitionBase;
}

/** The run's plan, as JSON, in its work folder: written by the run before its first task. */
export const PLAN_KEY = 'plan.json';
// 2: read tasks count (no count tasks), ids files in the compact layout of idBuckets.ts.
const PLAN_FORMAT = 'consent-metrics-run-plan/2';
/** Ranged reads a dedup task keeps ahead (the run, reading its partitions' losers: 8 times as many at once, one per bucket). */
const SHARES_AHEAD = 4;
const idsKey = (datehour: string) => `ids/${datehour}.bin`;
const duplicatesKey = (bucket: number) => `duplicates/${bucket}.bin`;
const countsKey = (datehour: string) => `counts/${datehour}.bin`;
/** The kind of a read task's counts file (`encodeBlob`): every row's counts and trail, rows = events. */
const COUNTS_KIND = 'queued-counts';

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
  await store.put(PLAN_KEY, new TextEncoder().encode(JSON.stringify({ format: PLAN_FORMAT, ...plan })));
}

/** The plans of the runs this worker took tasks of lately: read once a run, not once a task. */
const plans = new Map<string, Promise<RunPlan>>();
const PLANS_KEPT = 4;

function planOf(run: RunRef, store: WorkStore): Promise<RunPlan> {
  let plan = plans.get(run.runId);
  if (!plan) {
    plan = store.get(PLAN_KEY).then((bytes) => {
      const { format, ...read } = JSON.parse(new TextDecoder().decode(bytes)) as RunPlan & { format: unknown };
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
        result = await readTask(plan, plan.partitions[task.partition]!, store, s3);
        break;
      case 'dedup':
        result = await dedupTask(plan, task.bucket, task.ids, store);
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

/**
 * Reads, expands and counts one partition as an in-process run does (typed arrays, tokens judged once
 * each), every row counted; writes the counts with each row's trail (for the run to take the
 * duplicates out) and its ids, split into buckets (one file each).
 */
async function readTask(plan: RunPlan, partition: Partition, store: WorkStore, s3: S3Options) {
  const source = await openSource(plan.root, s3);
  const options = { concurrency: plan.concurrency, strict: false, workers: plan.workers, judgeTokens: true, splitBytes: plan.splitBytes };
  for await (const read of readPartitionFiles(source, [partition], options)) {
    const { parts, idFiles, tally } = expandFiles(read, tokenCache, plan.strict); // strict: the first problem fails the task
    const buckets = splitIds(idFiles, plan.buckets);
    const rows = parts.reduce((sum, part) => sum + part.rows, 0);
    const { counts, trail } = countTrackedRows(partition.datehour, parts);
    const { domainCodes, countryCodes, domainValues, countryValues, n, users } = counts;
    const columns = { domainCodes, countryCodes, domainValues, countryValues, n, users, cells: trail.cells, next: trail.next };
    await Promise.all([
      store.put(countsKey(partition.datehour), await encodeBlob(COUNTS_KIND, partition.datehour, rows, columns, 0)),
      store.put(idsKey(partition.datehour), buckets.bytes),
    ]);
    return { files: read.files, tally, idRanges: buckets.ranges, rows, groups: counts.groups };
  }
  throw new Error(`partition ${partition.datehour} was not read`);
}

/** Token facts a worker process keeps between the partitions it reads. */
const tokenCache = new Map<string, TokenFacts>();

/**
 * Finds, in one bucket, the ids that lose to an earlier copy: partitions in datehour order, rows in
 * file and line order, ids compared by their bytes. Reads the bucket's share of each partition's ids
 * file (`ranges`: start and end in each, in datehour order); writes every partition's losing rows in
 * one file, and says where each partition's are.
 */
async function dedupTask(plan: RunPlan, bucket: number, ranges: number[], store: WorkStore) {
  const lane = new DedupLane({ lookback: plan.lookback });
  const losers: Int32Array[] = [];
  // Shares are small (a bucket of one partition's ids) and, on S3, each a request: several read ahead.
  const shares = pMapIterable(plan.partitions.keys(), (index) => store.getRange(idsKey(plan.partitions[index]!.datehour), ranges[2 * index]!, ranges[2 * index + 1]!), { concurrency: SHARES_AHEAD, backpressure: SHARES_AHEAD });
  let index = 0;
  for await (const share of shares) {
    const { datehour } = plan.partitions[index++]!;
    losers.push(...lane.take([share], hoursSince1970(datehour), store.describe(idsKey(datehour))));
  }
  const duplicateRanges: number[] = [];
  losers.reduce((at, rows) => (duplicateRanges.push(at * 4, (at + rows.length) * 4), at + rows.length), 0);
  const joined = concatInt32(losers);
  await store.put(duplicatesKey(bucket), new Uint8Array(joined.buffer, joined.byteOffset, joined.byteLength));
  return { duplicateRanges };
}

/**
 * What making metrics needs of partitions whose read tasks ended: their datehour, their events and
 * groups before deduplication (the read tasks' `rows` and `groups`).
 *
 * @example
 * const partition: ReadPartition = { datehour: '2021-01-23-10', rows: 84_102, groups: 4_210 };
 */
export interface ReadPartition {
  datehour: string;
  rows: number;
  groups: number;
}

/**
 * The losers of consecutive partitions `[first, end)` of the plan, each partition's from every bucket,
 * joined: each bucket's losers of these partitions are one range of its duplicates file
 * (`duplicateRanges`, by bucket: the dedup tasks' ranges), read once for them all.
 *
 * @example
 * const losers = await readLosers(store, 0, 24, dedups.map((dedup) => dedup.duplicateRanges!)); // losers[3]: partition 3's
 */
export async function readLosers(store: WorkStore, first: number, end: number, duplicateRanges: readonly number[][]): Promise<Int32Array[]> {
  const shares = Array.from({ length: end - first }, () => [] as Int32Array[]);
  await pMap(duplicateRanges.keys(), async (bucket) => {
    const ranges = duplicateRanges[bucket]!;
    const start = ranges[2 * first]!;
    const bytes = await store.getRange(duplicatesKey(bucket), start, ranges[2 * end - 1]!);
    const rows = new Int32Array(bytes.buffer, bytes.byteOffset, bytes.length >> 2);
    shares.forEach((share, index) => share.push(rows.subarray((ranges[2 * (first + index)]! - start) >> 2, (ranges[2 * (first + index) + 1]! - start) >> 2)));
  }, { concurrency: SHARES_AHEAD * 8 });
  return shares.map((share) => concatInt32(share));
}

/**
 * The counts of partitions as their read tasks wrote them, less `losers` (each partition's rows that
 * lost in any bucket, as `readLosers` gives them).
 *
 * @example
 * const counted = await readCounts(store, batch, losers.slice(12, 12 + batch.length));
 */
export async function readCounts(store: WorkStore, batch: readonly ReadPartition[], losers: readonly Int32Array[]): Promise<CountedGroups[]> {
  return pMap(batch, async ({ datehour, rows }, index) => {
    const key = countsKey(datehour);
    const { counts, trail } = trackedCounts(await decodeBlob(await store.get(key), { kind: COUNTS_KIND, datehour, rows }, store.describe(key)), datehour, rows, store.describe(key));
    const { kept: _, ...counted } = withoutRows(counts, trail, losers[index]!);
    return counted;
  }, { concurrency: 8 });
}

/** A read task's counts and trail from its file's columns, each of the length it must have. */
function trackedCounts(columns: Record<string, BlobColumn>, datehour: string, rows: number, describe: string): { counts: GroupCounts; trail: RowTrail } {
  const { domainCodes, countryCodes, domainValues, countryValues, n, users, cells, next } = columns;
  const groups = domainCodes instanceof Int32Array ? domainCodes.length : 0;
  const fits = (column: BlobColumn | undefined, length: number): column is Int32Array => column instanceof Int32Array && column.length === length;
  if (!(fits(domainCodes, groups) && fits(countryCodes, groups) && fits(n, groups * 6) && fits(users, groups * 6) && fits(cells, rows) && fits(next, rows)
    && Array.isArray(domainValues) && Array.isArray(countryValues))) {
    throw new ConsentMetricsError(`work file ${describe} is damaged: its columns are not a partition's counts of ${rows} events`);
  }
  return { counts: { datehour, groups, domainCodes, countryCodes, domainValues, countryValues, n, users, kept: rows }, trail: { cells, next } };
}
