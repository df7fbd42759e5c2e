import { createHash, randomBytes } from 'node:crypto';
import pMap from 'p-map';
import { ConsentMetricsError } from '../errors.ts';
import type { TokenFacts } from '../expand/parseToken.ts';
import { countRowParts, type GroupCounts, type RowPart } from '../metrics/countRows.ts';
import { IdSet } from '../metrics/IdSet.ts';
import { markDuplicates } from '../metrics/markDuplicates.ts';
import { hoursSince1970 } from '../partitions/parseDatehour.ts';
import { selectPartitions, type Partition } from '../partitions/selectPartitions.ts';
import { ParserPool, workerEntry } from '../read/ParserPool.ts';
import type { ParsedFile } from '../read/ParsedFile.ts';
import { DEFAULT_CONCURRENCY, defaultWorkers, isHiddenName, readPartitionFiles } from '../read/readPartitionFiles.ts';
import { assembleReport, type StateReport } from '../report/RunReport.ts';
import { StageTimes } from '../report/StageTimes.ts';
import { Tally } from '../report/Tally.ts';
import type { S3Options } from '../s3/createS3Client.ts';
import { isS3Url } from '../s3/parseS3Url.ts';
import { retriesBetween } from '../s3/retryKinds.ts';
import { openSource } from '../source/openSource.ts';
import type { Source } from '../source/Source.ts';
import { KeptIds } from '../state/KeptIds.ts';
import { generationOf, manifestKey, parseManifest, STATE_FORMAT, STATE_VERSION, type InputFile, type Manifest, type PartitionState, type StateObject } from '../state/manifest.ts';
import { decodeCounted, decodeEvents, decodeHashes, decodeIds, encodeCounted, encodeEvents, encodeHashes, encodeIds, joinIds, type LoadedPartition } from '../state/partitionBlobs.ts';
import { acquireStateLock } from '../state/stateLock.ts';
import { openStateStore, type StateStore } from '../state/StateStore.ts';
import { openSink } from '../write/openSink.ts';
import { expandFile, isExpanded, withoutIds, type ExpandedFile } from './countPartition.ts';
import type { JobOptions, JobResult } from './JobOptions.ts';

/** Objects no manifest names, left by runs killed before their commit, are deleted once this old. */
const ORPHAN_AGE_MS = 24 * 3_600_000;

/** Why a partition was read from its raw files. */
type ReadReason = 'new' | 'files added' | 'files replaced' | 'files removed';

/**
 * `runJob` with a state (`options.state`): the same result as one run without a state over every
 * partition the state has seen, reading raw input only for partitions that are new or whose files
 * changed. Partitions after the first changed one are recounted from the state's columns (a change
 * may move which copy of an id wins); the ones before are reused as they are. The state commits
 * atomically: new objects first, then a new manifest generation, created only if absent.
 */
export async function runWithState({
  root, out, state, compression = 'snappy', strict = false, lookback, concurrency = DEFAULT_CONCURRENCY, workers, onPartition, s3 = {}, ...selection
}: JobOptions & { state: string }): Promise<JobResult> {
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
    const version = `${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
    // New objects are written while the run goes on; the manifest names them once all are written.
    const put = (datehour: string, kind: string, bytes: Uint8Array): Promise<StateObject> => {
      const key = `partitions/datehour=${datehour}/${version}.${kind}`;
      const written = store.put(key, bytes).then(() => ({ key, bytes: bytes.length, sha256: sha256(bytes) }));
      written.catch(() => {}); // awaited below; a failure must not count as unhandled before that
      return written;
    };

    // Kept ids of the partitions before the first changed one, inside the window: what the others are deduplicated against.
    const firstHour = plan.first < plan.partitions.length ? hoursSince1970(plan.partitions[plan.first]!.datehour) : 0;
    const earlier = new KeptIds();
    const seeds = plan.partitions.slice(0, plan.first).map((entry, index) => ({ entry, index }))
      .filter(({ entry }) => lookback === undefined || hoursSince1970(entry.datehour) >= firstHour - lookback);
    await pMap(seeds, async ({ entry, index }) => {
      const old = entry.old!;
      const { hashes, secondHashes } = decodeHashes(await getObject(store, old.hashes), old, old.hashes.key);
      const duplicates = lookback === undefined ? undefined : decodeCounted(await getObject(store, old.counted), old, old.counted.key).duplicates;
      return () => earlier.add(index, hoursSince1970(entry.datehour), hashes, secondHashes, duplicates);
    }, { concurrency }).then((adds) => adds.forEach((add) => add())); // added in partition order

    // The partitions from the first changed one: raw input where it changed, the state's columns elsewhere.
    const toRead = plan.partitions.slice(plan.first).filter((entry) => entry.reason !== undefined).map((entry) => entry.partition!);
    const pool = toRead.length > 0 && source.localPath && workers !== 0 ? new ParserPool(workers ?? defaultWorkers(), workerEntry(import.meta.url, 'jobWorker')) : null;
    const reads = readPartitionFiles(source, toRead, { concurrency, strict: false, workers, times }, pool ?? undefined)[Symbol.asyncIterator]();
    const tokenCache = new Map<string, TokenFacts>();
    const seenIds = new IdSet({ lookback });
    const next: Promise<PartitionState>[] = plan.partitions.slice(0, plan.first).map((entry) => Promise.resolve(entry.old!));
    const countsOf = new Map<string, GroupCounts>();
    const changed: string[] = [];
    try {
      for (const entry of plan.partitions.slice(plan.first)) {
        const { datehour } = entry;
        let parts: RowPart[];
        let ids: LoadedPartition['ids'];
        let fresh: Promise<Pick<PartitionState, 'datehour' | 'files' | 'rows' | 'tally' | 'events' | 'ids' | 'hashes'>> | undefined;
        if (entry.reason !== undefined) {
          const step = await times.wait('waiting', () => reads.next());
          const read = step.value!;
          const expanded = read.parsed.map((file: ParsedFile | ExpandedFile) => (isExpanded(file) ? file : expandFile(file, tokenCache)));
          const tally = new Tally().merge(read.tally);
          for (const file of expanded) tally.merge(file.tokens);
          parts = expanded.map(withoutIds);
          ids = joinIds(expanded);
          const { lines, rejected, invalidTokens, examples } = tally;
          const rows = ids.rows;
          const objects = [put(datehour, 'events', encodeEvents(datehour, parts)), put(datehour, 'ids', encodeIds(datehour, ids)), put(datehour, 'hashes', encodeHashes(datehour, ids))];
          fresh = Promise.all(objects).then(([events, idsObject, hashes]) => ({ datehour, files: entry.files, rows, tally: { lines, rejected, invalidTokens, examples }, events: events!, ids: idsObject!, hashes: hashes! }));
          onPartition?.({ datehour, files: read.files, bytes: read.bytes, lines: read.tally.lines, events: 0, of: toRead.length });
        } else {
          const old = entry.old!;
          [parts, ids] = await Promise.all([
            getObject(store, old.events).then((bytes) => decodeEvents(bytes, old, old.events.key)),
            getObject(store, old.ids).then((bytes) => ({ ...decodeIds(bytes, old, old.ids.key), rows: old.rows, idHashes: new Int32Array(0) })),
          ]);
          ids.idHashes = decodeHashes(await getObject(store, old.hashes), old, old.hashes.key).hashes;
        }
        const idFile = { rows: ids.rows, idBytes: ids.bytes, idOffsets: ids.offsets, idHashes: ids.idHashes };
        await pMap(earlier.partitionsToLoad([idFile]), async (index) => {
          const old = plan.partitions[index]!.old!;
          earlier.setBytes(index, decodeIds(await getObject(store, old.ids), old, old.ids.key));
        }, { concurrency });
        const marks = times.measure('dedup', () => markDuplicates([idFile], seenIds, { hour: hoursSince1970(datehour), earlier }));
        const counts = times.measure('count', () => countRowParts(datehour, parts, marks));
        countsOf.set(datehour, counts);
        const counted = encodeCounted(counts, marks);
        const result = resultDigest(counts);
        if (entry.old?.result !== result) changed.push(datehour);
        const base = fresh ?? Promise.resolve(entry.old!);
        next.push(Promise.all([base, put(datehour, 'counted', counted)]).then(([kept, countedObject]) => ({ ...kept, kept: counts.kept, result, counted: countedObject }) as PartitionState));
        next.at(-1)!.catch(() => {}); // awaited below
      }
    } finally {
      await pool?.close();
    }
    const partitions = await Promise.all(next);

    // Tallies in datehour order: strict mode fails on the first problem a stateless run would name.
    const tally = new Tally(strict);
    for (const partition of partitions) tally.merge(partition.tally);

    // Counts of the partitions not recounted, for the output.
    await pMap(partitions.filter((partition) => !countsOf.has(partition.datehour)), async (partition) => {
      countsOf.set(partition.datehour, decodeCounted(await getObject(store, partition.counted), partition, partition.counted.key).counts);
    }, { concurrency });
    const { partitionsMetrics, joinMetrics, resultTable, writeToTarget } = await import('./jobOutput.ts');
    const datehours = partitions.map((partition) => partition.datehour);
    const batches = [];
    for (let begin = 0; begin < datehours.length;) {
      const batch: GroupCounts[] = [];
      let groups = 0;
      for (; begin < datehours.length && (batch.length === 0 || groups < 50_000); begin++) {
        const counts = countsOf.get(datehours[begin]!)!;
        batch.push(counts);
        groups += counts.groups;
      }
      batches.push(times.measure('metrics', () => partitionsMetrics(batch)));
    }
    const output = joinMetrics(batches);

    // The output: rewritten where a result changed, or where it was never written.
    const target = out === undefined ? undefined : await openSink(out, s3Settings);
    const location = target?.sink.describe(target.key);
    const sameOutput = manifest?.output?.location === location && manifest?.output?.compression === compression;
    const removed = plan.removed.length > 0;
    let toWrite: string[] = [];
    if (target) {
      if (target.byDatehour) toWrite = sameOutput ? datehours.filter((datehour) => changed.includes(datehour) || !manifest!.output!.datehours.includes(datehour)) : datehours;
      else toWrite = sameOutput && changed.length === 0 && !removed ? [] : datehours;
    }
    const writtenFiles = target && toWrite.length > 0 ? await times.wait('write', () => writeToTarget(output, target, toWrite, compression)) : [];

    // Commit: a new generation only if something changed.
    const outputState = location === undefined ? manifest?.output ?? null : { location, compression, datehours };
    const committed: Manifest = {
      format: STATE_FORMAT, version: STATE_VERSION, generation: (manifest?.generation ?? 0) + 1, root: source.describe(), lookback: lookback ?? null,
      committedAt: new Date().toISOString(), partitions, output: outputState,
    };
    const nothingChanged = manifest !== undefined && plan.first === plan.partitions.length && !removed && writtenFiles.length === 0 && sameOutputState(manifest.output, outputState);
    if (!nothingChanged) {
      const key = manifestKey(committed.generation);
      if (!(await store.putIfAbsent(key, new TextEncoder().encode(JSON.stringify(committed, null, 1))))) {
        throw new ConsentMetricsError(`another run committed to state ${store.describe()} while this one ran (generation ${committed.generation}); this run's results were not kept: run again`);
      }
      await collectGarbage(store, manifest, committed).catch(() => {}); // an object left now is deleted by a later run
    }

    const report = assembleReport({
      root, partitions: datehours, files: partitions.reduce((sum, partition) => sum + partition.files.length, 0), tally,
      events: partitions.reduce((sum, partition) => sum + partition.kept, 0),
      duplicates: partitions.reduce((sum, partition) => sum + partition.rows - partition.kept, 0),
      warnings, retries: retriesBetween(retriesBefore, await retriesSoFar()),
    });
    const recounted = plan.partitions.slice(plan.first).filter((entry) => entry.reason === undefined).map((entry) => entry.datehour);
    const stateReport: StateReport = {
      read: toRead.map((partition) => partition.datehour),
      recounted,
      reused: datehours.slice(0, plan.first),
      removed: plan.removed,
      why: Object.fromEntries(plan.partitions.filter((entry) => entry.reason !== undefined).map((entry) => [entry.datehour, entry.reason!])),
      generation: nothingChanged ? manifest!.generation : committed.generation,
    };
    return { metrics: times.measure('result', () => resultTable(output)), report: { ...report, state: stateReport }, written: writtenFiles, times };
  } finally {
    await lock.release();
  }
}

interface PlannedPartition {
  datehour: string;
  /** Where it is in the input; absent for a partition only the state knows (then it is reused or recounted). */
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
 * recounted (`first`: the first read, or 0 when the lookback changed).
 */
async function planRun(source: Source, manifest: Manifest | undefined, selected: Partition[], lookback: number | null, concurrency: number) {
  const old = new Map((manifest?.partitions ?? []).map((partition) => [partition.datehour, partition]));
  const known = manifest?.partitions.filter((partition) => !selected.some((candidate) => candidate.datehour === partition.datehour)) ?? [];
  const folders = known.length > 0 ? new Set(await source.listFolders('')) : new Set<string>();
  const present = known.filter((partition) => folders.has(`datehour=${partition.datehour}`)).map((partition) => ({ datehour: partition.datehour, key: `datehour=${partition.datehour}` }));
  const removed = known.filter((partition) => !folders.has(`datehour=${partition.datehour}`)).map((partition) => partition.datehour);
  const all = [...selected, ...present].sort((a, b) => (a.datehour < b.datehour ? -1 : 1));
  const partitions: PlannedPartition[] = await pMap(all, async (partition) => {
    const keys = (await source.listFiles(partition.key)).filter((key) => !isHiddenName(key.slice(key.lastIndexOf('/') + 1)));
    const files = keys.map((key) => ({ key, size: source.sizeOf?.(key) ?? -1, version: source.versionOf?.(key) ?? '' }));
    return { datehour: partition.datehour, partition, files, old: old.get(partition.datehour), reason: readReason(old.get(partition.datehour), files) };
  }, { concurrency });
  let first = partitions.findIndex((entry) => entry.reason !== undefined);
  if (first < 0) first = partitions.length;
  if (manifest && manifest.lookback !== lookback) first = 0; // every duplicate may change
  if (removed.length > 0) {
    const firstRemoved = partitions.findIndex((entry) => entry.datehour > removed[0]!);
    if (firstRemoved >= 0) first = Math.min(first, firstRemoved);
  }
  return { partitions, first, removed };
}

function readReason(old: PartitionState | undefined, files: InputFile[]): ReadReason | undefined {
  if (!old) return 'new';
  const before = new Map(old.files.map((file) => [file.key, file]));
  const now = new Set(files.map((file) => file.key));
  if (files.some((file) => before.has(file.key) && (before.get(file.key)!.size !== file.size || before.get(file.key)!.version !== file.version || file.version === ''))) return 'files replaced';
  if (old.files.some((file) => !now.has(file.key))) return 'files removed';
  if (files.some((file) => !before.has(file.key))) return 'files added';
  return undefined;
}

/** The latest committed manifest, or undefined for a new state. */
async function readLatestManifest(store: StateStore): Promise<Manifest | undefined> {
  const generations = (await store.list('manifest-')).map(({ key }) => generationOf(key)).filter((generation): generation is number => generation !== null);
  if (generations.length === 0) {
    const stray = (await store.list('')).filter(({ key }) => !key.startsWith('partitions/') && key !== 'lock.json');
    if (stray.length > 0) throw new ConsentMetricsError(`${store.describe()} is not a consent-metrics state (it holds ${stray[0]!.key}); give an empty or new location`);
    return undefined;
  }
  const generation = Math.max(...generations);
  const bytes = await store.get(manifestKey(generation));
  if (!bytes) throw new ConsentMetricsError(`state manifest ${store.describe(manifestKey(generation))} vanished while it was read; run again`);
  return parseManifest(bytes, store.describe(manifestKey(generation)), generation);
}

/** An object of the state, checked against its size and SHA-256 in the manifest. */
async function getObject(store: StateStore, object: StateObject): Promise<Uint8Array> {
  const bytes = await store.get(object.key);
  if (!bytes) throw new ConsentMetricsError(`state ${store.describe()} is damaged: ${object.key} is missing (or another run replaced it: run again)`);
  if (bytes.length !== object.bytes || sha256(bytes) !== object.sha256) throw new ConsentMetricsError(`state ${store.describe()} is damaged: ${object.key} does not match its checksum`);
  return bytes;
}

/** Deletes what the new generation no longer names: objects of the one before, older manifests, and old orphans. */
async function collectGarbage(store: StateStore, previous: Manifest | undefined, committed: Manifest): Promise<void> {
  const keep = new Set(committed.partitions.flatMap((partition) => [partition.events.key, partition.ids.key, partition.hashes.key, partition.counted.key]));
  const superseded = (previous?.partitions ?? []).flatMap((partition) => [partition.events.key, partition.ids.key, partition.hashes.key, partition.counted.key]).filter((key) => !keep.has(key));
  const now = Date.now();
  const stored = await store.list('');
  const oldManifests = stored.map(({ key }) => ({ key, generation: generationOf(key) })).filter(({ generation }) => generation !== null && generation < committed.generation - 1).map(({ key }) => key);
  const orphans = stored.filter(({ key, modified }) => key.startsWith('partitions/') && !keep.has(key) && now - modified > ORPHAN_AGE_MS).map(({ key }) => key);
  await store.delete([...new Set([...superseded, ...oldManifests, ...orphans])]);
}

/** A digest of a partition's counts: equal digests, equal output rows. */
function resultDigest(counts: GroupCounts): string {
  const hash = createHash('sha256');
  hash.update(JSON.stringify([counts.groups, counts.domainValues, counts.countryValues]));
  for (const array of [counts.domainCodes.subarray(0, counts.groups), counts.countryCodes.subarray(0, counts.groups), counts.n.subarray(0, counts.groups * 6), counts.users.subarray(0, counts.groups * 6)]) {
    hash.update(new Uint8Array(array.buffer, array.byteOffset, array.byteLength));
  }
  return hash.digest('hex');
}

function sameOutputState(a: Manifest['output'], b: Manifest['output']): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
