import pMap from 'p-map';
import type { Table } from 'apache-arrow';
import { ConsentMetricsError } from '../errors.ts';
import type { TokenFacts } from '../expand/parseToken.ts';
import { countRowParts, type GroupCounts, type RowPart } from '../metrics/countRows.ts';
import { marksOf } from '../metrics/DedupLane.ts';
import { METRIC_COLUMNS } from '../metrics/metricDefinitions.ts';
import { hoursSince1970 } from '../partitions/parseDatehour.ts';
import { selectPartitions, type Partition } from '../partitions/selectPartitions.ts';
import { DEFAULT_CONCURRENCY, listDataFiles, parserPoolFor, readPartitionFiles } from '../read/readPartitionFiles.ts';
import { assembleReport, memoryReport, type StateReport } from '../report/RunReport.ts';
import { StageTimes } from '../report/StageTimes.ts';
import { Tally } from '../report/Tally.ts';
import type { S3Options } from '../s3/createS3Client.ts';
import { isS3Url } from '../s3/parseS3Url.ts';
import { retriesBetween } from '../s3/retryKinds.ts';
import { openSource } from '../source/openSource.ts';
import type { Source } from '../source/Source.ts';
import { EarlierIds, type IdColumn } from '../state/EarlierIds.ts';
import { memoryBudget } from './memoryBudget.ts';
import { generationOf, manifestKey, parseManifest, PARTITION_OBJECTS, STATE_FORMAT, STATE_VERSION, type InputFile, type Manifest, type PartitionState, type StateObject } from '../state/manifest.ts';
import { decodeCounted, decodeHashes, decodeIds, encodeCounted } from '../state/partitionBlobs.ts';
import { packBytes, unpackBytes } from '../state/stateBlobs.ts';
import { acquireStateLock, LOCK_KEY } from '../state/stateLock.ts';
import { openStateStore } from '../state/openStateStore.ts';
import type { StateStore } from '../state/StateStore.ts';
import { openSink } from '../write/openSink.ts';
import type { JobOptions, JobResult, QueueOptions } from './JobOptions.ts';
import { jobWorkerEntry } from './jobWorkerEntry.ts';
import { shiftExpandedLines, type PartitionCounts } from './countPartition.ts';
import { LaneTable, type DedupRequest, type DedupResult } from './dedupLanes.ts';
import type { StateRead } from './tasks/tasks.ts';
import { getObject, loadPartition, ObjectWriter, readPartition, type PartitionBase } from './statePartitions.ts';

/** Objects no manifest names, left by runs killed before their commit, are deleted once this old. */
const ORPHAN_AGE_MS = 24 * 3_600_000;

/** Why a partition is read from its raw files. */
type ReadReason = 'new' | 'files added' | 'files replaced' | 'files removed';

/**
 * `runJob` with a state (`options.state`, docs/state.md): the same output as one run without a state
 * over every partition the state has seen, reading raw input only for partitions that are new or whose
 * files changed. Partitions after the first changed one are recounted from the state's columns (a
 * change may move which copy of an id wins); the ones before are reused as they are. The state
 * commits atomically: new objects first, then a new manifest generation, created only if absent.
 */
export async function runWithState({
  root, out, state, compression = 'snappy', strict = false, lookback, concurrency: filesAtOnce, workers, onPartition, s3 = {},
  queue, buckets: _, dedupLanes: __, splitBytes, memory, ...selection
}: Omit<JobOptions, 'state'> & { state: string }): Promise<JobResult> {
  const budget = memoryBudget(memory);
  const concurrency = filesAtOnce ?? DEFAULT_CONCURRENCY; // listings and the state's objects
  const usesS3 = [root, state, out ?? ''].some(isS3Url);
  const s3Settings: S3Options = usesS3 && !s3.client ? { ...s3, client: (await import('../s3/createS3Client.ts')).createS3Client(s3) } : s3;
  const retriesSoFar = async () => (s3Settings.client ? (await import('../s3/retries.ts')).retryCountsOf(s3Settings.client) : undefined);
  const retriesBefore = await retriesSoFar();
  const times = new StageTimes();
  const store = await openStateStore(state, s3Settings);
  const lock = await acquireStateLock(store);
  try {
    const manifest = await readLatestManifest(store);
    const source = await openSource(root, s3Settings);
    if (manifest && manifest.root !== source.describe()) {
      throw new ConsentMetricsError(`state ${store.describe()} was made from ${manifest.root}, not ${source.describe()}; give each input its own state`);
    }
    const { partitions: selected, warnings } = await times.wait('list', () => selectPartitions(source, selection));
    const plan = await times.wait('list', () => planRun(source, manifest, selected, lookback ?? null, concurrency));
    const objects = new ObjectWriter(store);
    const target = out === undefined ? undefined : await openSink(out, s3Settings);
    const location = target?.sink.describe(target.key);
    const previous = manifest?.output;
    const sameOutput = previous?.location === location && previous?.compression === compression;

    // From the first changed partition on: each one read or loaded, deduplicated and counted, in datehour order.
    const counting = plan.partitions.slice(plan.first);
    const toRead = counting.filter((entry) => entry.reason !== undefined);
    // The parser threads start first, and the first read with them: a thread takes ~50 ms to start,
    // and what this thread loads next (Arrow, Arquero, parquet-wasm, the earlier ids) waits meanwhile.
    const pool = queue === undefined && toRead.length > 0 ? parserPoolFor(source, workers, jobWorkerEntry()) : null;
    const reads = readPartitionFiles(source, queue === undefined ? toRead.map((entry) => entry.partition!) : [], { concurrency: filesAtOnce, strict: false, workers, times, judgeTokens: true, splitBytes, shiftLines: shiftExpandedLines }, pool ?? undefined)[Symbol.asyncIterator]();
    let nextRead = reads.next();
    nextRead.catch(() => {}); // awaited in the loop
    const outputModule = import('./jobOutput.ts');
    outputModule.catch(() => {}); // awaited below
    // While the first partition is read: the reused partitions' ids (for deduplication), and the rows
    // of those the run gives back (its selection) or may write; not every hour of the history.
    const earlierBytes = Math.floor(budget * EARLIER_IDS_SHARE);
    const loadingEarlier = loadEarlierIds(store, plan, lookback, concurrency, earlierBytes);
    loadingEarlier.catch(() => {}); // awaited in the loop
    const chosen = new Set(selected.map((partition) => partition.datehour));
    const rewritesFile = target !== undefined && !target.byDatehour && (plan.first < plan.partitions.length || plan.removed.length > 0 || !sameOutput);
    const wanted = (datehour: string) => chosen.has(datehour) || rewritesFile || (target?.byDatehour === true && (!sameOutput || !previous!.datehours.includes(datehour)));
    const reusedMetrics = pMap(plan.partitions.slice(0, plan.first).filter(({ datehour }) => wanted(datehour)), async ({ datehour, old }) => {
      const [bytes, { tableFromIPC }] = await Promise.all([getObject(store, old!.metrics).then((packed) => unpackBytes(packed, old!.metrics.key)), outputModule]);
      return [datehour, tableFromIPC(bytes)] as const;
    }, { concurrency });
    reusedMetrics.catch(() => {}); // awaited for the output
    // Earlier partitions' id bytes, kept for later lookups while they fit in a share of the earlier ids' room.
    const idsLoaded = new Map<number, Promise<IdColumn>>();
    let idBytesKept = 0;
    const loadIds = (index: number) => {
      const old = plan.partitions[index]!.old!;
      const loading = idsLoaded.get(index) ?? getObject(store, old.ids).then((bytes) => decodeIds(bytes, old, old.ids.key));
      if (!idsLoaded.has(index) && (idBytesKept += 4 * old.ids.bytes) <= earlierBytes / 4) idsLoaded.set(index, loading); // packed: ~4x once decoded
      return loading;
    };
    // The hour before the first one counted holds most of the copies found (retries that crossed the
    // hour): its id bytes are fetched while that hour is read, not after the hashes matched.
    const before = plan.partitions[plan.first - 1];
    if (before && plan.first < plan.partitions.length && hoursSince1970(plan.partitions[plan.first]!.datehour) - hoursSince1970(before.datehour) <= (lookback ?? Infinity)) {
      loadIds(plan.first - 1).catch(() => {}); // awaited if a hash matches
    }

    // Through the queue, workers read the partitions into the state; the objects are then loaded like any other.
    const queued = queue === undefined ? undefined : await times.wait('waiting', () => readThroughQueue(queue, toRead.map((entry) => ({
      root, state, version: objects.version, partition: entry.partition!, files: entry.files, strict, concurrency, splitBytes, s3: workerS3(s3),
    }))));
    const tokenCache = new Map<string, TokenFacts>();
    const readHere = async (entry: PlannedPartition) => {
      const read = (await times.wait('waiting', () => nextRead)).value!;
      nextRead = reads.next();
      nextRead.catch(() => {}); // awaited for the next partition read
      onPartition?.({ datehour: entry.datehour, files: read.files, bytes: read.bytes, lines: read.tally.lines, events: 0, of: toRead.length });
      return readPartition(entry.datehour, entry.files, read, tokenCache, objects);
    };
    // One dedup lane over the partitions counted: on a parser thread when there are any (it holds their ids
    // there; they are copied to it, as the state's objects are still packed from them), here otherwise.
    // Before it, this thread looks each id up among the earlier partitions' ids (`lookup`).
    const laneHere = pool ? null : new LaneTable();
    if (pool) times.besideMainThread.add('dedup');
    const deduplicate = (request: DedupRequest): Promise<DedupResult> => (laneHere
      ? Promise.resolve(times.measure('dedup', () => laneHere.take(request)))
      : pool!.runOn<DedupResult>(0, { kind: 'dedup', ...request }, [], `cannot deduplicate`).then((result) => ((times.milliseconds.dedup += result.milliseconds), result)));
    let reserve: number | undefined;
    const pending: { entry: PlannedPartition; counts: Promise<GroupCounts>; base: Promise<PartitionBase>; duplicates: Promise<StateObject> }[] = [];
    let counted: { entry: PlannedPartition; counts: GroupCounts; base: Promise<PartitionBase>; duplicates: Promise<StateObject> }[] = [];
    // With parser threads, a partition is counted on one of them (its columns copied, not moved: its
    // objects are still being packed from them), while this thread deduplicates the next.
    if (pool) times.besideMainThread.add('count');
    const countOf = (datehour: string, parts: RowPart[], losers: Int32Array, duplicates: Uint8Array): Promise<GroupCounts> => {
      if (!pool) return Promise.resolve(times.measure('count', () => countRowParts(datehour, parts, duplicates)));
      return pool.run<PartitionCounts>({ kind: 'count', datehour, files: parts, losers: [lanePerPart(parts, losers)] }, [], `cannot count ${datehour}`).then((result) => {
        times.milliseconds.count += result.milliseconds.count;
        return result.counts;
      });
    };
    try {
      for (const entry of counting) {
        const { parts, ids, base } = entry.reason === undefined
          ? await loadPartition(store, entry.old!)
          : queued ? await loadPartition(store, queued.get(entry.datehour)!) : await readHere(entry);
        const idColumn = { rows: ids.rows, idBytes: ids.bytes, idOffsets: ids.offsets, idHashes: ids.idHashes };
        const earlier = await times.wait('lookup', () => loadingEarlier);
        const earlierHours = await times.wait('lookup', () => earlier.latestHours(idColumn, loadIds));
        // The lane's set sized once for the partitions to count (within the window), not grown by rehashing.
        reserve ??= ids.rows * Math.min(counting.length, lookback === undefined ? Infinity : lookback + 1);
        // Packed on zlib's threads while this one counts: after the earlier ids, which wait on the same threads.
        const written = base();
        const { datehour } = entry;
        const deduplicated = deduplicate({ lane: 0, shares: [idColumn], hour: hoursSince1970(datehour), lookback, reserve, earlierHours: [earlierHours] })
          .then(({ losers: [losers] }) => ({ losers: losers!, marks: marksOf([ids.rows], [[losers!]]) }));
        const marked = deduplicated.then(({ marks }) => marks);
        const counts = deduplicated.then(({ losers, marks }) => countOf(datehour, parts, losers, marks));
        counts.catch(() => {}); // awaited below, in order
        const duplicates = marked.then((marks) => objects.put(datehour, 'counted', encodeCounted(datehour, marks)));
        duplicates.catch(() => {}); // awaited once every partition is counted
        pending.push({ entry, counts, base: written, duplicates });
        // A few counts in flight at most: each holds its partition's columns until a thread takes it.
        const waiting = pending.length - 1 - (pool?.size ?? 0) * 2;
        if (waiting >= 0) await times.wait('waiting', () => pending[waiting]!.counts);
      }
      const counts = await times.wait('waiting', () => Promise.all(pending.map((partition) => partition.counts)));
      counted = pending.map((partition, index) => ({ ...partition, counts: counts[index]! }));
    } finally {
      await pool?.close();
    }

    // Metrics: made for the partitions counted, read back as Arrow for the others.
    const { batchesOf, partitionsMetrics, joinMetrics, resultTable, tableToIPC, writeToTarget } = await outputModule;
    const metricsOf = new Map<string, Table>();
    for (const batch of batchesOf(counted.map(({ counts }) => counts))) {
      const table = times.measure('metrics', () => partitionsMetrics(batch));
      let begin = 0;
      for (const counts of batch) metricsOf.set(counts.datehour, table.slice(begin, (begin += counts.groups)));
    }
    for (const [datehour, table] of await reusedMetrics) metricsOf.set(datehour, table);

    // The new objects, once written; then the tallies in datehour order (strict mode fails on the first
    // problem a stateless run would name, before any output is written).
    const partitions: PartitionState[] = [
      ...plan.partitions.slice(0, plan.first).map((entry) => entry.old!),
      ...(await Promise.all(counted.map(async ({ entry, counts, base, duplicates }) => ({
        ...(await base), kept: counts.kept, counted: await duplicates,
        metrics: await objects.put(entry.datehour, 'metrics', packBytes(tableToIPC(metricsOf.get(entry.datehour)!, 'file'))),
      })))),
    ];
    const changed = new Set(counted.filter(({ entry }, index) => entry.old?.metrics.sha256 !== partitions[plan.first + index]!.metrics.sha256).map(({ entry }) => entry.datehour));
    const tally = new Tally(strict);
    for (const partition of partitions) tally.merge(partition.tally);
    const datehours = partitions.map((partition) => partition.datehour);
    const rowsOf = (some: string[]) => joinMetrics(some.map((datehour) => metricsOf.get(datehour)!));

    // The output: rewritten where rows changed, or where it was never written.
    let toWrite: string[] = [];
    if (target?.byDatehour) toWrite = sameOutput ? datehours.filter((datehour) => changed.has(datehour) || !previous!.datehours.includes(datehour)) : datehours;
    else if (target) toWrite = rewritesFile && (!sameOutput || changed.size > 0 || plan.removed.length > 0) ? datehours : [];
    const written = target && toWrite.length > 0 ? await times.wait('write', () => writeToTarget(rowsOf(toWrite), target, toWrite, compression)) : [];

    // Commit: a new generation, unless nothing at all changed.
    const outputState = location === undefined ? previous ?? null : { location, compression, datehours };
    const generation = (manifest?.generation ?? 0) + 1;
    const idle = manifest !== undefined && counting.length === 0 && plan.removed.length === 0 && JSON.stringify(previous) === JSON.stringify(outputState);
    if (!idle) {
      const committed: Manifest = {
        format: STATE_FORMAT, version: STATE_VERSION, generation, root: source.describe(), lookback: lookback ?? null, metricColumns: [...METRIC_COLUMNS],
        committedAt: new Date().toISOString(), partitions, output: outputState,
      };
      if (!(await store.putIfAbsent(manifestKey(generation), new TextEncoder().encode(JSON.stringify(committed, null, 1))))) {
        throw new ConsentMetricsError(`another run committed to state ${store.describe()} while this one ran (generation ${generation}); this run's results were not kept: run again`);
      }
      await collectGarbage(store, manifest, committed).catch(() => {}); // what is left now, a later run deletes
    }

    const report = assembleReport({
      root, partitions: datehours, files: partitions.reduce((sum, partition) => sum + partition.files.length, 0), tally,
      events: partitions.reduce((sum, partition) => sum + partition.kept, 0),
      duplicates: partitions.reduce((sum, partition) => sum + partition.rows - partition.kept, 0),
      warnings, retries: retriesBetween(retriesBefore, await retriesSoFar()),
    });
    const stateReport: StateReport = {
      read: toRead.map((entry) => entry.datehour),
      recounted: counting.filter((entry) => entry.reason === undefined).map((entry) => entry.datehour),
      reused: datehours.slice(0, plan.first),
      removed: plan.removed,
      why: Object.fromEntries(counting.filter((entry) => entry.reason !== undefined).map((entry) => [entry.datehour, entry.reason!])),
      generation: idle ? manifest!.generation : generation,
    };
    const given = datehours.filter((datehour) => chosen.has(datehour));
    const memory = memoryReport(budget, { written: 0, read: (await loadingEarlier).fetchedAgain });
    return { metrics: times.measure('result', () => resultTable(rowsOf(given))), report: { ...report, state: stateReport, memory }, written, times };
  } finally {
    await lock.release();
  }
}

/** A partition's losing rows (in row order, over its parts one after another) as one lane's, per part. */
function lanePerPart(parts: readonly RowPart[], losers: Int32Array): Int32Array[] {
  let at = 0;
  let start = 0;
  return parts.map(({ rows }) => {
    const from = at;
    while (at < losers.length && losers[at]! < start + rows) at++;
    const own = losers.subarray(from, at).map((row) => row - start);
    start += rows;
    return own;
  });
}

/**
 * Has queue workers read `reads` into the state (a task each, in datehour order; the first failure in
 * that order fails the run); gives each partition's entry by datehour.
 */
async function readThroughQueue({ url, timeout = 20_000, onTask }: QueueOptions, reads: StateRead[]): Promise<Map<string, PartitionBase>> {
  if (reads.length === 0) return new Map();
  const { openQueueSession } = await import('./tasks/queueSession.ts');
  const session = await openQueueSession(url, timeout, `state-${reads[0]?.version ?? 'none'}`, onTask);
  session.total = reads.length;
  try {
    const results = await session.stage(reads.map((read) => ({ kind: 'stateRead', read })), reads.map((read) => read.partition.datehour));
    return new Map(results.map((result, index) => [reads[index]!.partition.datehour, result.state!]));
  } finally {
    await session.settle();
    await session.close();
  }
}

/** S3 settings workers make their own clients from: no client, no credentials (each worker has its own). */
function workerS3({ client: _, credentials: __, ...settings }: S3Options): StateRead['s3'] {
  return settings;
}

interface PlannedPartition {
  datehour: string;
  /** Where it is in the input. */
  partition?: Partition;
  files: InputFile[];
  /** What the state had of it. */
  old?: PartitionState;
  /** Why it is read from raw input; undefined: taken from the state. */
  reason?: ReadReason;
}

/**
 * Lists every partition the run selects and every one the state has, and decides for each whether it
 * is read from raw input (new, or its files changed), and from which partition on results are
 * counted again (`first`: the first one read or after one removed; 0 when the lookback or the metric
 * columns changed).
 */
async function planRun(source: Source, manifest: Manifest | undefined, selected: Partition[], lookback: number | null, concurrency: number) {
  const old = new Map((manifest?.partitions ?? []).map((partition) => [partition.datehour, partition]));
  const chosen = new Set(selected.map((partition) => partition.datehour));
  const known = manifest?.partitions.filter((partition) => !chosen.has(partition.datehour)) ?? [];
  const folders = known.length > 0 ? new Set(await source.listFolders('')) : new Set<string>();
  const present = known.filter(({ datehour }) => folders.has(`datehour=${datehour}`)).map(({ datehour }) => ({ datehour, key: `datehour=${datehour}` }));
  const removed = known.filter(({ datehour }) => !folders.has(`datehour=${datehour}`)).map(({ datehour }) => datehour);
  const all = [...selected, ...present].sort((a, b) => (a.datehour < b.datehour ? -1 : 1));
  const partitions: PlannedPartition[] = await pMap(all, async (partition) => {
    const keys = await listDataFiles(source, partition);
    const files = keys.map((key) => ({ key, size: source.sizeOf?.(key) ?? -1, version: source.versionOf?.(key) ?? '' }));
    return { datehour: partition.datehour, partition, files, old: old.get(partition.datehour), reason: readReason(old.get(partition.datehour), files) };
  }, { concurrency });
  let first = partitions.findIndex((entry) => entry.reason !== undefined);
  if (first < 0) first = partitions.length;
  if (manifest && manifest.lookback !== lookback) first = 0; // every duplicate may change
  if (manifest && manifest.metricColumns?.join() !== METRIC_COLUMNS.join()) first = 0; // its stored metrics lack a column, or have one no longer made
  for (const datehour of removed) {
    const after = partitions.findIndex((entry) => entry.datehour > datehour); // its ids no longer make later copies duplicates
    if (after >= 0) first = Math.min(first, after);
  }
  return { partitions, first, removed };
}

function readReason(old: PartitionState | undefined, files: InputFile[]): ReadReason | undefined {
  if (!old) return 'new';
  const before = new Map(old.files.map((file) => [file.key, file]));
  const now = new Set(files.map((file) => file.key));
  const replaced = (file: InputFile) => before.has(file.key) && (before.get(file.key)!.size !== file.size || before.get(file.key)!.version !== file.version || file.version === '');
  if (files.some(replaced)) return 'files replaced';
  if (old.files.some((file) => !now.has(file.key))) return 'files removed';
  if (files.some((file) => !before.has(file.key))) return 'files added';
  return undefined;
}

/** The share of the memory budget the earlier partitions' ids may take (the rest fetched again at each lookup). */
const EARLIER_IDS_SHARE = 1 / 4;

/**
 * The kept ids of the partitions reused, inside the lookback window of the first one counted, as their
 * hashes: the latest held, up to `holdBytes`.
 */
async function loadEarlierIds(store: StateStore, plan: Awaited<ReturnType<typeof planRun>>, lookback: number | undefined, concurrency: number, holdBytes: number): Promise<EarlierIds> {
  const earlier = new EarlierIds(holdBytes);
  if (plan.first === plan.partitions.length) return earlier;
  const firstHour = hoursSince1970(plan.partitions[plan.first]!.datehour);
  const inWindow = plan.partitions.slice(0, plan.first).map((entry, index) => ({ old: entry.old!, index }))
    .filter(({ old }) => lookback === undefined || hoursSince1970(old.datehour) >= firstHour - lookback);
  // Without a lookback, a duplicate row's id is a kept id's: every row can go in, and no marks need reading.
  for (const { old, index } of inWindow) {
    earlier.add(index, hoursSince1970(old.datehour), old.rows, async () => {
      const [{ hashes, secondHashes }, duplicates] = await Promise.all([
        getObject(store, old.hashes).then((bytes) => decodeHashes(bytes, old, old.hashes.key)),
        lookback === undefined ? undefined : getObject(store, old.counted).then((bytes) => decodeCounted(bytes, old, old.counted.key)),
      ]);
      return { hashes, secondHashes, duplicates };
    }, lookback !== undefined);
  }
  await earlier.hold(concurrency);
  return earlier;
}

/** The latest committed manifest, or undefined for a new state. */
async function readLatestManifest(store: StateStore): Promise<Manifest | undefined> {
  const generations = (await store.list('manifest-')).map(({ key }) => generationOf(key)).filter((generation): generation is number => generation !== null);
  if (generations.length === 0) {
    const stray = (await store.list('')).filter(({ key }) => !key.startsWith('partitions/') && key !== LOCK_KEY);
    if (stray.length > 0) throw new ConsentMetricsError(`${store.describe()} is not a consent-metrics state (it holds ${stray[0]!.key}); give an empty or new location`);
    return undefined;
  }
  const generation = Math.max(...generations);
  const bytes = await store.get(manifestKey(generation));
  if (!bytes) throw new ConsentMetricsError(`state manifest ${store.describe(manifestKey(generation))} vanished while it was read; run again`);
  return parseManifest(bytes, store.describe(manifestKey(generation)), generation);
}

/**
 * Deletes what the new generation no longer names: the objects of the one before and the manifest
 * before that. Every {@link SWEEP_EVERY} generations (and at the first), also what no manifest names
 * and is older than a day, left by runs killed before their commit, and older manifests: that takes
 * a listing of the whole state, which an hourly run need not pay each time.
 */
async function collectGarbage(store: StateStore, previous: Manifest | undefined, committed: Manifest): Promise<void> {
  const keysOf = (manifest: Manifest | undefined) => (manifest?.partitions ?? []).flatMap((partition) => PARTITION_OBJECTS.map((name) => partition[name].key));
  const keep = new Set(keysOf(committed));
  const superseded = keysOf(previous).filter((key) => !keep.has(key));
  const doomed = [...superseded, ...(committed.generation > 2 ? [manifestKey(committed.generation - 2)] : [])];
  if (committed.generation % SWEEP_EVERY === 1) {
    const now = Date.now();
    for (const { key, modified } of await store.list('')) {
      if ((generationOf(key) ?? Infinity) < committed.generation - 1) doomed.push(key);
      else if (key.startsWith('partitions/') && !keep.has(key) && now - modified > ORPHAN_AGE_MS) doomed.push(key);
    }
  }
  await store.delete([...new Set(doomed)]);
}

/** Generations between two sweeps of the whole state for what no manifest names. */
const SWEEP_EVERY = 24;

