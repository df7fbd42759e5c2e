import { ConsentMetricsError, OptionError } from '../errors.ts';
import type { Table } from 'apache-arrow';
import { MetricsBatches } from './metricsBatches.ts';
import { COUNT_STAGES, countingBuffers, countPartition, expandFile, shiftExpandedLines, type CountingFile, type PartitionCounts } from './countPartition.ts';
import { bucketFile, isBucketed, LaneTable, shardBuffers, type BucketedFile, type DedupRequest, type DedupResult } from './dedupLanes.ts';
import type { TokenFacts } from '../expand/parseToken.ts';
import type { GroupCounts } from '../metrics/countRows.ts';
import { DEDUP_BUCKETS, marksOf, shareBuffers } from '../metrics/DedupLane.ts';
import { mergeShardsOf, validateCountShards } from '../metrics/countInShards.ts';
import type { ParserPool } from '../read/ParserPool.ts';
import { validateLookback } from '../metrics/IdSet.ts';
import { validateBuckets } from '../metrics/idBuckets.ts';
import { hoursSince1970 } from '../partitions/parseDatehour.ts';
import type { ParsedFile } from '../read/ParsedFile.ts';
import { GroupingUnits, lostRows } from './groupingUnits.ts';
import { emptyCounts } from '../metrics/groupCounts.ts';
import { isStandard, timeOf, type Grain, type Grouping } from '../metrics/grouping.ts';
import { defaultWorkers, parserPoolFor, readPartitionFiles, threadsToParse, type PartitionFiles } from '../read/readPartitionFiles.ts';
import { inProcessPeak, jsonBytesOf, memoryBudget } from './memoryBudget.ts';
import { checkOptions } from './checkOptions.ts';
import { listRun, type RunListing } from './tasks/runInTasks.ts';
import type { Source } from '../source/Source.ts';
import type { RetryCounts } from '../s3/retryKinds.ts';
import { assembleReport, memoryReport } from '../report/RunReport.ts';
import { StageTimes } from '../report/StageTimes.ts';
import { Tally } from '../report/Tally.ts';
import type { S3Options } from '../s3/createS3Client.ts';
import type { JobOptions, JobResult } from './JobOptions.ts';
import { jobWorkerEntry } from './jobWorkerEntry.ts';
import { retriesBetween } from '../s3/retryKinds.ts';
import { isS3Url } from '../s3/parseS3Url.ts';
import { openSource } from '../source/openSource.ts';
import { openSink } from '../write/openSink.ts';

export type { JobOptions, JobResult, QueueOptions, StateOptions } from './JobOptions.ts';

/**
 * Runs the whole job: select partitions, read each (files in parallel, parsed by worker threads),
 * expand tokens, deduplicate across the run and count the metrics one partition at a time, then
 * write Parquet if asked. With `queue`, the same job runs as tasks on worker processes
 * (`runQueuedJob`); with `state`, it reads only what changed since the last run (`runWithState`),
 * here or through the queue; always with the same result. An option the chosen run would not use is
 * refused, never dropped.
 * Nothing is written unless every partition was read without a fatal error.
 *
 * @example
 * const { metrics, report } = await runJob({ root: 'fixtures/example/input' });
 * metrics.print();
 */
export async function runJob(options: JobOptions): Promise<JobResult> {
  checkOptions(options);
  refuseUnused(options);
  const { queue, state, ...here } = options;
  if (state !== undefined) {
    const { runWithState } = await import('./runWithState.ts');
    return runWithState({ ...here, state: state.location, queue });
  }
  if (queue === undefined) return runLocal(here);
  const { runQueuedJob } = await import('./tasks/runQueuedJob.ts');
  const times = new StageTimes();
  const { tasks, ...result } = await runQueuedJob({ ...here, queue: { ...queue, work: queue.work! } }, times);
  Object.assign(times.tasks, tasks);
  return { ...result, times };
}

/**
 * Throws, naming the option as code spells it and the flag as the CLI does, when the run `options`
 * choose would not use one of them, or a nested option is not an object.
 */
function refuseUnused({ queue, state, buckets, dedupLanes, countShards, onPartition, onTask, workers, memory, temp, by, grain, keys }: JobOptions): void {
  const nested = (name: string, flag: string, value: unknown, field: string) => {
    if (value !== undefined && (typeof value !== 'object' || value === null || typeof (value as Record<string, unknown>)[field] !== 'string')) {
      throw new OptionError(`${name} (${flag}) must be an object with ${field} as a string, e.g. ${name}: { ${field}: '...' }, got ${JSON.stringify(value)}`);
    }
  };
  nested('queue', '--queue', queue, 'url');
  nested('state', '--state', state, 'location');
  const refuse = (option: string, why: string) => {
    throw new OptionError(`${option} ${why}`);
  };
  if (!isStandard({ by, grain, keys }) && (state !== undefined || queue !== undefined)) {
    const given = [by !== undefined && 'by (--by)', grain !== undefined && grain !== 'hour' && 'grain (--grain)', keys !== undefined && 'keys (--keys)'].filter(Boolean).join(', ');
    refuse(given, `runs in this process only, not with ${state !== undefined ? 'state (--state)' : 'queue (--queue)'}: run it without, or group the metrics it writes (readMetrics)`);
  }
  if (onTask !== undefined && (state !== undefined || queue !== undefined)) refuse('onTask', `is called by a run in this process that spills under memory (--memory) only: ${queue !== undefined ? 'use queue.onTask' : 'a run with state (--state) calls onPartition'}`);
  if (state !== undefined && temp !== undefined) refuse('temp (--temp)', 'does not apply with state (--state): an incremental run keeps what does not fit in memory in the state');
  if (state === undefined && queue !== undefined) {
    for (const [option, value] of [['memory (--memory)', memory], ['temp (--temp)', temp]] as const) {
      if (value !== undefined) refuse(option, 'does not apply with queue (--queue): its tasks run on the workers, sized by the queue');
    }
  }
  if (state !== undefined) {
    if (buckets !== undefined) refuse('buckets (--buckets)', 'does not apply with state (--state): an incremental run deduplicates in one set');
    if (dedupLanes !== undefined) refuse('dedupLanes', 'does not apply with state (--state): an incremental run deduplicates in one set');
    if (queue?.work !== undefined) refuse('queue.work (--work)', 'does not apply with state (--state): workers write what they read into the state');
    if (countShards !== undefined) refuse('countShards', 'does not apply with state (--state): an incremental run counts each partition whole');
    if (queue !== undefined && workers !== undefined) refuse('workers (--workers)', 'does not apply with state (--state) and queue (--queue): each worker process reads its partitions on its own thread');
    return;
  }
  if (countShards !== undefined && !isStandard({ by, grain, keys })) refuse('countShards', 'does not apply with by (--by), grain (--grain) or keys (--keys): each time value is counted whole');
  if (countShards !== undefined && countShards > 1 && workers === 0 && queue === undefined) refuse('countShards', 'needs worker threads, and workers (--workers) is 0');
  if (queue === undefined) return;
  if (queue.work === undefined) refuse('queue (--queue)', 'needs queue.work (--work): a folder or s3:// prefix every worker reaches');
  if (dedupLanes !== undefined) refuse('dedupLanes', 'does not apply with queue (--queue): dedup tasks take one bucket each');
  if (onPartition !== undefined) refuse('onPartition', 'is not called with queue (--queue), whose workers count the partitions: use queue.onTask');
}

/**
 * A run in this process: lists the input, then runs it in-process when it fits in the memory budget
 * (`memory`: the ids of the run, the partitions in flight, `inProcessPeak`), or else as tasks on this
 * process's threads within it (`runBounded`), keeping in `temp` what does not fit.
 */
async function runLocal(options: Omit<JobOptions, 'queue' | 'state'>): Promise<JobResult> {
  const { root, out, s3 = {}, concurrency, workers, memory, temp, partitions, from, to, onTask } = options;
  const budget = memoryBudget(memory);
  // One client for input and output, made only when either is on S3.
  const usesS3 = isS3Url(root) || (out !== undefined && isS3Url(out));
  const s3Settings: S3Options = usesS3 && !s3.client ? { ...s3, client: (await import('../s3/createS3Client.ts')).createS3Client(s3) } : s3;
  try {
    // The SDK (and its retry strategy) loads only for a run that touches S3.
    const retriesSoFar = async () => (s3Settings.client ? (await import('../s3/retries.ts')).retryCountsOf(s3Settings.client) : undefined);
    const retriesBefore = await retriesSoFar();
    const source = await openSource(root, s3Settings);
    const times = new StageTimes();
    const listing = await times.wait('list', () => listRun(source, { partitions, from, to }, concurrency));
    // A client given ready-made cannot be made again on the task threads: such a run stays in-process.
    const clientOfItsOwn = s3.client !== undefined && !(await import('../s3/createS3Client.ts')).settingsOf(s3.client);
    const { by, grain, keys } = options;
    const fits = fitsInProcess(source, listing, budget, workers, grain);
    if (!fits && !clientOfItsOwn && !isStandard({ by, grain, keys })) {
      throw new ConsentMetricsError(`by, grain and keys run in this process, and this run's input does not fit its memory budget (${(budget / 2 ** 20).toFixed(0)} MiB, --memory): give it more, or select fewer partitions (--from, --to)`);
    }
    if (clientOfItsOwn || fits) {
      const result = await runHere({ ...options, s3: s3Settings }, { source, listing, times, retriesSoFar, retriesBefore });
      result.report.memory = memoryReport(budget, { written: 0, read: 0 });
      return result;
    }
    const { runBounded } = await import('./tasks/runBounded.ts');
    const bounded = await runBounded({ ...options, s3: s3Settings }, { budget, temp, listing, onTask, cores: workers === undefined ? undefined : Math.max(1, workers) }, times);
    // Not `times.tasks`: a task's CPU and peak, measured on a thread, are the whole process's.
    bounded.report.memory = memoryReport(budget, bounded.work);
    // `metrics` as the run gave it: a getter that throws when the rows were written, not kept.
    return Object.defineProperty({ report: bounded.report, written: bounded.written, times }, 'metrics', Object.getOwnPropertyDescriptor(bounded, 'metrics')!) as JobResult;
  } finally {
    if (s3Settings !== s3) s3Settings.client?.destroy();
  }
}

/**
 * Whether an in-process run of the listing is expected to stay within `budget` (`inProcessPeak`); a
 * source that lists no sizes runs in-process. A day grain holds a day's partitions at once: the largest
 * day counts as its largest partition.
 */
function fitsInProcess(source: Source, { listed, partitions }: RunListing, budget: number, workers: number | undefined, grain?: Grain): boolean {
  const bytes = listed.map((keys) => jsonBytesOf(source, keys));
  if (bytes.some((size) => size === undefined)) return true;
  const total = bytes.reduce((sum: number, size) => sum + size!, 0);
  const held = new Map<string, number>();
  partitions.forEach(({ datehour }, index) => held.set(timeOf(datehour, grain), (held.get(timeOf(datehour, grain)) ?? 0) + bytes[index]!));
  const threads = workers ?? (source.localPath ? threadsToParse(total) : defaultWorkers());
  return inProcessPeak({ bytes: total, largestPartition: Math.max(0, ...held.values()), partitions: listed.length, threads }) <= budget;
}

async function runHere({
  root,
  out,
  compression = 'snappy',
  strict = false,
  lookback,
  concurrency,
  workers,
  onPartition,
  s3: s3Settings = {},
  splitBytes,
  buckets = DEDUP_BUCKETS,
  dedupLanes,
  countShards,
  by,
  grain,
  keys,
}: Omit<JobOptions, 'queue' | 'state'>, { source, listing: { partitions, warnings, listed }, times, retriesSoFar, retriesBefore }: {
  source: Source; listing: RunListing; times: StageTimes; retriesSoFar: () => Promise<RetryCounts | undefined>; retriesBefore: RetryCounts | undefined;
}): Promise<JobResult> {
  validateBuckets(buckets);
  if (dedupLanes !== undefined && (!Number.isInteger(dedupLanes) || dedupLanes < 1)) throw new ConsentMetricsError(`dedupLanes must be a whole number from 1, got ${JSON.stringify(dedupLanes)}`);
  if (countShards !== undefined) validateCountShards(countShards);
  const target = out === undefined ? undefined : await openSink(out, s3Settings);

  const tally = new Tally(strict);
  const tokenCache = new Map<string, TokenFacts>(); // when counting on this thread
  if (lookback !== undefined) validateLookback(lookback);
  // Local files and S3 objects: worker threads read, parse, deduplicate and count them. Each thread
  // splits the ids it parses into buckets, one share per lane; lane l deduplicates its buckets on
  // thread l % threads, in run order. The pool's threads are all started before the first parse, so
  // every parse request and the run's first partition see the same count, and so the same lanes.
  // Another grouping counts each time value's files together (a day's hours, keys left out merged), or a breakdown, which reads the tokens' lists.
  const grouping: Grouping = { by, grain, keys };
  const standard = isStandard(grouping);
  const keepTokens = by !== undefined;
  const pool = parserPoolFor(source, workers, jobWorkerEntry(), (threads) => ({ idBuckets: buckets, idLanes: lanesFor(threads, dedupLanes).lanes, ...(keepTokens ? { keepTokens } : {}) }));
  if (countShards !== undefined && countShards > 1 && !pool) throw new OptionError(`countShards needs worker threads, which this run has none of (workers: 0, or S3 with a client given ready-made)`);
  if (pool) for (const stage of ['expand', ...COUNT_STAGES] as const) times.besideMainThread.add(stage);
  let lanes: { lanes: number; here: LaneTable | null; threads: number } | undefined; // at the first partition
  // The metrics as Arrow in the output schema (typed arrays, not JS arrays of values), made for a batch
  // of partitions at a time from their counts.
  const metricsBatches: Table[] = [];
  const batches = new MetricsBatches<GroupCounts>();
  const makeMetrics = async (counts: GroupCounts[] | undefined) => {
    if (!counts) return;
    const { partitionsMetrics } = await outputModule;
    metricsBatches.push(times.measure('metrics', () => partitionsMetrics(counts)));
  };
  let files = 0;
  let events = 0;
  let duplicates = 0;
  // Not strict while reading: strict mode fails on the first problem in datehour order, when partitions are taken.
  // A partition of more than COUNT_SHARD_BYTES is counted on every thread, a shard of its users each:
  // the threads that parse its pieces split their counting columns by shard.
  const shardsOfPartition = (bytes: number | undefined) => countShards ?? (pool && pool.size > 1 && bytes !== undefined && bytes > COUNT_SHARD_BYTES ? 2 ** Math.ceil(Math.log2(pool.size)) : 1);
  const parseFieldsFor = (bytes: number | undefined) => (standard && shardsOfPartition(bytes) > 1 ? { countShards: shardsOfPartition(bytes) } : {});
  const reads = readPartitionFiles(source, partitions, { concurrency, strict: false, workers, times, judgeTokens: !keepTokens, splitBytes, shiftLines: shiftExpandedLines, parseFieldsFor, listed }, pool ?? undefined)[Symbol.asyncIterator]();
  // Another grouping's units, each a time value's files and their losers, counted once the next one starts.
  const units = new GroupingUnits(grouping, (time, files, losers) => {
    const counts = pool
      ? pool.run<PartitionCounts>({ kind: 'count', datehour: time, files, losers, grouping }, [...files.flatMap(countingBuffers), ...losers.flat().map((rows) => rows.buffer as ArrayBuffer)], `cannot count ${time}`)
      : Promise.resolve(countPartition(time, files, marksOf(files.map((file) => file.rows), losers), grouping));
    return counts.then((counted) => {
      times.milliseconds.count += counted.milliseconds.count;
      return counted;
    });
  });
  let next = reads.next();
  // Arrow, Arquero and parquet-wasm load while the first files are parsed.
  const outputModule = import('./jobOutput.ts');
  outputModule.catch(() => {}); // awaited below; a failure must not count as unhandled before that
  if (target) void outputModule.then(({ warmUpParquet }) => warmUpParquet(compression)).catch(() => {}); // the real write fails loudly if this would
  // Partitions being counted, oldest first: they are taken in datehour order (tallies, strict mode).
  const counting: { read: PartitionFiles; countingFiles: (CountingFile & { bucketMilliseconds: number })[]; rows: number; counted: Promise<PartitionCounts & { dedupMilliseconds: number }> }[] = [];
  let reserve: number | undefined; // ids each lane makes room for, from the first partition with events
  let groupedCounts: PartitionCounts[] = [];
  const takeOldest = async () => {
    const { read, countingFiles, rows, counted } = counting.shift()!;
    const { counts, milliseconds, dedupMilliseconds } = await times.wait('waiting', () => counted);
    tally.merge(read.tally);
    for (const file of countingFiles) {
      tally.merge(file.tokens);
      times.milliseconds.expand += file.expandMilliseconds;
      times.milliseconds.dedup += file.bucketMilliseconds;
    }
    for (const stage of COUNT_STAGES) times.milliseconds[stage] += milliseconds[stage];
    times.milliseconds.dedup += dedupMilliseconds;
    if (standard) await makeMetrics(batches.add(counts));
    files += read.files;
    events += counts.kept;
    duplicates += rows - counts.kept;
    onPartition?.({ datehour: read.partition.datehour, files: read.files, bytes: read.bytes, lines: read.tally.lines, events: counts.kept, of: partitions.length });
  };
  try {
    for (;; next = reads.next()) {
      const step = await times.wait('waiting', () => next).catch(async (error: unknown) => {
        while (counting.length > 0) await takeOldest(); // a problem in an earlier partition is the run's first failure
        throw error;
      });
      if (step.done) break;
      const read = step.value;
      if (!lanes) {
        const threads = pool?.size ?? 0;
        const plan = lanesFor(threads, dedupLanes);
        lanes = { lanes: plan.lanes, here: plan.here ? new LaneTable() : null, threads };
        if (pool && !plan.here) times.besideMainThread.add('dedup');
      }
      const { lanes: laneCount, here: laneHere, threads } = lanes;
      // Pieces parsed by the job's worker threads come expanded, their ids in lane shares; pieces parsed on this thread are made so here.
      const pieces = read.parsed.map((file: ParsedFile | BucketedFile) => (isBucketed(file) ? file : bucketFile(expandFile(file as ParsedFile, tokenCache, { keepTokens }), buckets, laneCount)));
      const rows = pieces.reduce((sum, piece) => sum + piece.rows, 0);
      if (reserve === undefined && rows > 0) reserve = Math.ceil(expectedIds(read, pieces, partitions.length) / laneCount); // sized once
      const hour = hoursSince1970(read.partition.datehour);
      const { datehour } = read.partition;
      const countingFiles = pieces.map(({ idShares: _, ...counting }) => counting);
      const deduplicated = Array.from({ length: laneCount }, (_, lane) => {
        const request: DedupRequest = { lane, shares: pieces.map((piece) => piece.idShares[lane]!), hour, lookback, reserve };
        return laneHere
          ? Promise.resolve(laneHere.take(request))
          : pool!.runOn<DedupResult>(lane % threads, { kind: 'dedup', ...request }, request.shares.flatMap(shareBuffers), `cannot deduplicate ${datehour}`);
      });
      // The rows lost are counted before the losers can go to a count thread (a transfer empties them).
      const dedupDone = Promise.all(deduplicated).then((results) => ({ results, lost: lostRows(results.map((result) => result.losers)) }));
      if (!standard) units.add(datehour, countingFiles, dedupDone.then(({ results }) => results.map((result) => result.losers)));
      const counted = dedupDone.then(async ({ results, lost }) => {
        const losers = results.map((result) => result.losers);
        const dedupMilliseconds = results.reduce((sum, result) => sum + result.milliseconds, 0);
        if (!standard) return { counts: emptyCounts(datehour, rows - lost), milliseconds: { count: 0 }, dedupMilliseconds };
        const shards = pieces[0] && isBucketed(pieces[0]) ? pieces[0].countShards?.length ?? 0 : 0;
        if (shards > 0) return { ...(await countInShardsOnThreads(pool!, datehour, pieces as BucketedFile[], losers, shards)), dedupMilliseconds };
        const partitionCounts = pool
          ? await pool.run<PartitionCounts>({ kind: 'count', datehour, files: countingFiles, losers }, [...countingFiles.flatMap(countingBuffers), ...losers.flat().map((rows) => rows.buffer as ArrayBuffer)], `cannot count ${datehour}`)
          : countPartition(datehour, countingFiles, marksOf(countingFiles.map((file) => file.rows), losers));
        return { ...partitionCounts, dedupMilliseconds };
      });
      counted.catch(() => {}); // handled when taken; until then a failure must not count as unhandled
      counting.push({ read, countingFiles, rows, counted });
      while (counting.length > (pool?.size ?? 0) * 2) await takeOldest();
    }
    while (counting.length > 0) await takeOldest();
    if (standard) await makeMetrics(batches.take());
    else groupedCounts = await times.wait('waiting', () => units.counted());
  } finally {
    next.catch(() => {}); // a run that failed first does not wait for the read in flight, nor its failure
    await pool?.close();
  }

  lanes = undefined; // the ids (~70 bytes an event on this thread's lane) are done with: let them go before the output is encoded
  const { joinMetrics, resultTable, writeToTarget, groupedOutput } = await outputModule;
  const output = standard ? joinMetrics(metricsBatches) : times.measure('metrics', () => groupedOutput(groupedCounts, grouping));
  const datehours = partitions.map((partition) => partition.datehour);
  const timeValues = [...new Set(datehours.map((datehour) => timeOf(datehour, grain)))];
  const written = target ? await times.wait('write', () => writeToTarget(output, target, timeValues, compression)) : [];
  const report = assembleReport({
    root, partitions: datehours, files, tally, events, duplicates, warnings,
    retries: retriesBetween(retriesBefore, await retriesSoFar()),
  });
  // For the caller, an Arquero table (int64 read back as numbers).
  const metrics = times.measure('result', () => resultTable(output));
  return { metrics, report, written, times };
}

/**
 * Listed bytes of a partition past which its count is split across the threads, a shard of its users on
 * each: below it a partition's count is short beside its parse, and other partitions' counts keep the
 * threads busy; above it one thread counting an hour alone was the run's critical path (28 s of the
 * 50M-event hour's 63 s, the other core idle: docs/performance.md).
 */
const COUNT_SHARD_BYTES = 512 * 2 ** 20;

/**
 * A partition counted in `shards` on the pool's threads (shard s on thread s % threads), from pieces
 * whose threads split their counting columns by shard (`shardCounting`); the shards' counts merged.
 */
async function countInShardsOnThreads(pool: ParserPool, datehour: string, pieces: readonly BucketedFile[], losers: Int32Array[][], shards: number): Promise<PartitionCounts> {
  if (pieces.some((piece) => piece.countShards?.length !== shards)) throw new Error(`the pieces of ${datehour} are not all in ${shards} count shards`);
  const pieceRows = pieces.map((piece) => piece.rows);
  const counted = await Promise.all(Array.from({ length: shards }, (_, shard) => {
    const parts = pieces.map((piece) => piece.countShards![shard]!.rows);
    const picked = pieces.map((piece) => piece.countShards![shard]!.picked);
    const transfer = pieces.flatMap((piece) => shardBuffers(piece.countShards![shard]!));
    return pool.runOn<PartitionCounts>(shard % pool.size, { kind: 'countShard', datehour, parts, picked, losers, pieceRows }, transfer, `cannot count ${datehour}`);
  }));
  return {
    counts: mergeShardsOf(datehour, counted.map(({ counts }) => counts)),
    milliseconds: { count: counted.reduce((sum, { milliseconds }) => sum + milliseconds.count, 0) },
  };
}

/**
 * How a run with `threads` worker threads deduplicates: in how many lanes, each on a thread (`dedupLanes`,
 * or one per {@link THREADS_PER_LANE} threads: a lane's work is a small part of an event's, and each lane
 * past the first costs every piece a split of its ids into buckets; one lane takes the ids as parsed); with
 * no thread, on the main thread.
 */
function lanesFor(threads: number, dedupLanes: number | undefined): { lanes: number; here: boolean } {
  if (threads === 0) return { lanes: 1, here: true };
  return { lanes: dedupLanes ?? Math.ceil(threads / THREADS_PER_LANE), here: false };
}

/** Worker threads per dedup lane, by default (docs/performance.md has the measurements behind it). */
const THREADS_PER_LANE = 4;

/**
 * The ids a run can expect, from its first partition: that partition's events per listed byte times
 * the run's listed bytes (0 when the source lists no sizes). At most 4x the first partition's events
 * per partition: a first partition of gzip files among plain ones must not reserve ~10x the memory.
 */
function expectedIds({ listedBytes, runListedBytes }: PartitionFiles, files: readonly { rows: number }[], partitions: number): number {
  if (!listedBytes || runListedBytes === undefined) return 0;
  const rows = files.reduce((sum, file) => sum + file.rows, 0);
  return Math.min(Math.ceil((rows / listedBytes) * runListedBytes), rows * partitions * 4);
}

