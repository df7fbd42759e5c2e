import type { ColumnTable } from 'arquero';
import { Table } from 'apache-arrow';
import { eventsTable, type TokenReading } from '../expand/eventsTable.ts';
import { IdSet, validateLookback } from '../metrics/IdSet.ts';
import { markDuplicates } from '../metrics/markDuplicates.ts';
import { hoursSince1970 } from '../partitions/parseDatehour.ts';
import { readPartitionFiles } from '../read/readPartitionFiles.ts';
import { assembleReport, type RunReport } from '../report/RunReport.ts';
import { Tally } from '../report/Tally.ts';
import type { S3Options } from '../s3/createS3Client.ts';
import { retriesBetween } from '../s3/retryKinds.ts';
import { isS3Url } from '../s3/parseS3Url.ts';
import { openSource } from '../source/openSource.ts';
import type { CompressionName } from '../write/compressions.ts';
import { checkOptions } from './checkOptions.ts';
import type { JobOptions } from './JobOptions.ts';
import { listRun } from './tasks/runInTasks.ts';

/**
 * What the events are read from, and how: the job's selection, lookback, S3, strictness and reading options.
 *
 * @example
 * const options: EventsOptions = { root: 's3://events/raw', from: '2021-01-23-00', to: '2021-01-23-23', lookback: 24 };
 */
export type EventsOptions = Pick<JobOptions, (typeof EVENTS_OPTIONS)[number]>;

/** The options the events are read with: a job's selection, lookback, S3, strictness and reading options. */
const EVENTS_OPTIONS = ['root', 'partitions', 'from', 'to', 'lookback', 's3', 'strict', 'concurrency', 'workers', 'splitBytes'] as const;

/**
 * One partition's deduplicated events, and the report of the run so far.
 *
 * @example
 * for await (const { datehour, events } of eventsOfRun({ root })) console.log(datehour, events.numRows);
 */
export interface PartitionEventsTable {
  /** The partition's datehour. */
  datehour: string;
  /** Its kept events, in the SPEC's events columns (`EVENT_COLUMNS`). */
  events: Table;
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
export async function* eventsOfRun(options: EventsOptions): AsyncGenerator<PartitionEventsTable> {
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
    for await (const read of readPartitionFiles(source, partitions, { concurrency, workers, splitBytes, datetime: true, listed })) {
      tally.merge(read.tally);
      const { datehour } = read.partition;
      const duplicates = markDuplicates(read.parsed, seenIds, { hour: hoursSince1970(datehour) });
      const events = eventsTable(datehour, read.parsed, duplicates, { tally, tokens, fileKey });
      counts.files += read.files;
      counts.events += events.numRows;
      counts.duplicates += duplicates.length - events.numRows;
      retries = retriesBetween(retriesBefore, await retriesSoFar());
      yield { datehour, events, report };
    }
  } finally {
    if (s3Settings !== s3) s3Settings.client?.destroy();
  }
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
  for await (const { events } of eventsOfRun(options)) yield events;
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
  const { out, compression, ...reading } = options;
  const { writeEventBatches } = await import('./eventsOutput.ts');
  let report: (() => RunReport) | undefined;
  const written = await writeEventBatches((async function* () {
    for await (const partition of eventsOfRun(reading)) {
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
