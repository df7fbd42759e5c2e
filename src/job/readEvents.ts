import type { ColumnTable } from 'arquero';
import { Table, tableFromIPC } from 'apache-arrow';
import type { TokenReading } from '../expand/eventsTable.ts';
import { OptionError } from '../errors.ts';
import { buildEvents, type BuiltEvents } from './buildEvents.ts';
import { IdSet, validateLookback } from '../metrics/IdSet.ts';
import { markDuplicates } from '../metrics/markDuplicates.ts';
import { hoursSince1970 } from '../partitions/parseDatehour.ts';
import { transferList, type ParsedFile } from '../read/ParsedFile.ts';
import type { ParserPool } from '../read/ParserPool.ts';
import { parserPoolFor, readPartitionFiles, type PartitionFiles } from '../read/readPartitionFiles.ts';
import { assembleReport, type RunReport } from '../report/RunReport.ts';
import { Tally, type TallyCounts } from '../report/Tally.ts';
import type { S3Options } from '../s3/createS3Client.ts';
import { retriesBetween } from '../s3/retryKinds.ts';
import { isS3Url } from '../s3/parseS3Url.ts';
import { openSource } from '../source/openSource.ts';
import type { CompressionName } from '../write/compressions.ts';
import { checkOptions } from './checkOptions.ts';
import type { JobOptions } from './JobOptions.ts';
import { jobWorkerEntry } from './jobWorkerEntry.ts';
import { listRun } from './tasks/runInTasks.ts';

/**
 * What the events are read from, and how: the job's selection, lookback, S3, strictness and reading options.
 *
 * @example
 * const options: EventsOptions = { root: 's3://events/raw', from: '2021-01-23-00', to: '2021-01-23-23', lookback: 24 };
 */
export type EventsOptions = Pick<JobOptions, 'root' | 'partitions' | 'from' | 'to' | 'lookback' | 's3' | 'strict' | 'concurrency' | 'workers' | 'splitBytes'>;

/** The options the events are read with (checked by name as runJob's are). */
const EVENTS_OPTIONS: readonly (keyof EventsOptions)[] = ['root', 'partitions', 'from', 'to', 'lookback', 's3', 'strict', 'concurrency', 'workers', 'splitBytes'];

/**
 * One partition's deduplicated events, and the report of the run so far.
 *
 * @example
 * for await (const { datehour, events } of eventsOfRun({ root })) console.log(datehour, events.numRows);
 */
export interface PartitionEventsTable {
  /** The partition's datehour. */
  datehour: string;
  /** Its kept events, in the SPEC's events columns (`EVENT_COLUMNS`); with `parquet`, none (see `parquet`). */
  events?: Table;
  /** With `parquet`: the kept events as one Parquet file's bytes, encoded on the thread that built them. */
  parquet?: Uint8Array;
  /** The report of the partitions read so far, this one included. */
  report: () => RunReport;
}

/**
 * Reads a run's deduplicated events, one partition at a time in datehour order (SPEC.md, "Events,
 * breakdowns and grain"): files read and parsed in parallel with `datetime` kept, ids deduplicated across
 * the run (first wins, `lookback` as in the job), tokens parsed once per distinct text. Memory holds the
 * partitions in flight and the run's ids (as an in-process job does), not the events already yielded.
 *
 * @example
 * for await (const { datehour, events } of eventsOfRun({ root: 'fixtures/example/input' })) console.log(datehour, events.numRows);
 */
export async function* eventsOfRun(options: EventsOptions, { parquet }: { parquet?: CompressionName } = {}): AsyncGenerator<PartitionEventsTable> {
  checkOptions(options, { caller: 'readEvents', only: EVENTS_OPTIONS });
  const { root, s3 = {}, lookback, strict = false, concurrency, workers, splitBytes, partitions: selected, from, to } = options;
  if (lookback !== undefined) validateLookback(lookback);
  const s3Settings: S3Options = isS3Url(root) && !s3.client ? { ...s3, client: (await import('../s3/createS3Client.ts')).createS3Client(s3) } : s3;
  try {
    const retriesSoFar = async () => (s3Settings.client ? (await import('../s3/retries.ts')).retryCountsOf(s3Settings.client) : undefined);
    const retriesBefore = await retriesSoFar();
    const source = await openSource(root, s3Settings);
    const { partitions, warnings, listed } = await listRun(source, { partitions: selected, from, to }, concurrency);
    const base = source.describe('');
    const fileKey = (file: string) => (file.startsWith(base) ? file.slice(base.length).replace(/^\/+/, '') : file);
    const seenIds = new IdSet({ lookback });
    const tokens = new Map<string, TokenReading>();
    const tally = new Tally(strict);
    const counts = { files: 0, events: 0, duplicates: 0 };
    const datehours = partitions.map((partition) => partition.datehour);
    let retries = retriesBetween(retriesBefore, retriesBefore);
    const report = () => assembleReport({ root, partitions: datehours, ...counts, tally, warnings, retries });
    // The threads parse, and build each partition's table once this thread has found its duplicates.
    const pool = parserPoolFor(source, workers, jobWorkerEntry());
    const building: { read: PartitionFiles; built: Promise<BuiltEvents> }[] = [];
    const takeOldest = async (): Promise<PartitionEventsTable> => {
      const { read, built } = building.shift()!;
      const { events, parquet: encoded, rows, tokens: tokenProblems } = await built;
      tally.merge(read.tally); // in datehour order: strict mode fails on the run's first problem
      tally.merge(tokenProblems);
      counts.files += read.files;
      counts.events += rows;
      counts.duplicates += read.parsed.reduce((sum, file) => sum + file.rows, 0) - rows;
      retries = retriesBetween(retriesBefore, await retriesSoFar());
      return { datehour: read.partition.datehour, events, parquet: encoded, report };
    };
    const reads = readPartitionFiles(source, partitions, { concurrency, workers, splitBytes, datetime: true, listed }, pool ?? undefined)[Symbol.asyncIterator]();
    try {
      for (;;) {
        let step: IteratorResult<PartitionFiles>;
        try {
          step = await reads.next();
        } catch (error) {
          // A problem in a partition before the failed read is the run's first failure.
          while (building.length > 0) yield await takeOldest();
          throw error;
        }
        if (step.done) break;
        const read = step.value;
        const { datehour } = read.partition;
        const duplicates = markDuplicates(read.parsed, seenIds, { hour: hoursSince1970(datehour) });
        // Without threads, here (the tally hears of invalid tokens after the partition's lines, as with threads).
        const built = pool ? buildOnThread(pool, datehour, read.parsed, duplicates, fileKey, parquet)
          : Promise.resolve().then(() => buildEvents(datehour, read.parsed, duplicates, { tokens, fileKey, parquet }));
        built.catch(() => {}); // taken in order below; a failure must not count as unhandled before that
        building.push({ read, built });
        while (building.length > (pool?.size ?? 0)) yield await takeOldest();
      }
      while (building.length > 0) yield await takeOldest();
    } finally {
      await pool?.close();
    }
  } finally {
    if (s3Settings !== s3) s3Settings.client?.destroy();
  }
}

/**
 * A partition's events table built on one of `pool`'s threads from its files (sent by transfer but for
 * the ids' bytes and offsets, which the run's id set keeps: those are copied) and its duplicates.
 */
async function buildOnThread(pool: ParserPool, datehour: string, files: readonly ParsedFile[], duplicates: Uint8Array, fileKey: (file: string) => string, parquet?: CompressionName): Promise<BuiltEvents> {
  const kept = new Set<ArrayBufferLike>(files.flatMap((file) => [file.idBytes.buffer, file.idOffsets.buffer]));
  const transfer = files.flatMap(transferList).filter((buffer) => !kept.has(buffer));
  const fileKeys = files.map((file) => fileKey(file.file));
  const { bytes, rows, tokens } = await pool.run<{ bytes: Uint8Array; rows: number; tokens: TallyCounts }>(
    { kind: 'events', datehour, files, duplicates, fileKeys, parquet }, [...transfer, duplicates.buffer as ArrayBuffer], `cannot build the events of ${datehour}`);
  return parquet === undefined ? { events: tableFromIPC(bytes), rows, tokens } : { parquet: bytes, rows, tokens };
}



/**
 * The deduplicated events of a run as Apache Arrow tables, one partition at a time in datehour order:
 * for runs larger than memory, each table can be written or reduced before the next is read. Columns:
 * `EVENT_COLUMNS` (SPEC.md, "Events, breakdowns and grain"): the lists are list<utf8>, `line` int64.
 *
 * @example
 * for await (const batch of eventBatches({ root: 'fixtures/example/input' })) console.log(batch.numRows);
 */
export async function* eventBatches(options: EventsOptions): AsyncGenerator<Table> {
  for await (const { events } of eventsOfRun(options)) yield events!;
}

/**
 * The deduplicated events of a run as one Arquero table (SPEC.md, "Events, breakdowns and grain"):
 * `id, datehour, datetime, domain, type, user_id, country, consent, purposes_enabled, purposes_disabled,
 * vendors_enabled, vendors_disabled, file, line`, in run order. The list columns hold arrays of names (or
 * null), `line` a number. For runs larger than memory, use {@link eventBatches}.
 *
 * @example
 * const events = await readEvents({ root: 'fixtures/example/input' });
 * events.filter((d) => d.consent).groupby('domain').count().print();
 */
export async function readEvents(options: EventsOptions): Promise<ColumnTable> {
  const batches: Table[] = [];
  for await (const batch of eventBatches(options)) batches.push(batch);
  const { eventsToArquero } = await import('./eventsOutput.ts');
  return eventsToArquero(batches);
}

/**
 * Writes a run's deduplicated events as Parquet (list columns kept) to `out`: one file, encoded as the
 * partitions come (a row group at a time), or with `out` ending in `/`, one file per datehour
 * (`datehour=.../part-0.parquet`, an empty one for a partition without events). Local or `s3://`, each
 * file atomically. Returns the report and the files written.
 *
 * @example
 * const { written } = await writeEvents({ root: 'fixtures/example/input', out: 'out/events.parquet' });
 */
export async function writeEvents(options: EventsOptions & { out: string; compression?: CompressionName }): Promise<EventsWritten> {
  checkOptions(options, { caller: 'writeEvents', only: [...EVENTS_OPTIONS, 'out', 'compression'] });
  if (options.out === undefined) throw new OptionError('out must be a path or s3:// location, as a string, got nothing');
  const { out, compression = 'snappy', ...reading } = options;
  const { writeEventBatches } = await import('./eventsOutput.ts');
  let report: (() => RunReport) | undefined;
  // A file per datehour: each encoded on the thread that builds it. One file: encoded here, a partition after another.
  const parquet = out.endsWith('/') ? compression : undefined;
  const written = await writeEventBatches((async function* () {
    for await (const partition of eventsOfRun(reading, { parquet })) {
      report = partition.report;
      yield partition;
    }
  })(), out, { s3: options.s3, compression });
  return { report: report?.() ?? emptyReport(options.root), written };
}

/**
 * What {@link writeEvents} did.
 *
 * @example
 * const { report, written }: EventsWritten = await writeEvents({ root, out: 'out/events/' });
 */
export interface EventsWritten {
  /** Lines read, rejected, deduplicated, as a job's report. */
  report: RunReport;
  /** The files written. */
  written: string[];
}

function emptyReport(root: string): RunReport {
  return assembleReport({ root, partitions: [], files: 0, events: 0, duplicates: 0, tally: new Tally(), warnings: [], retries: retriesBetween(undefined, undefined) });
}
