import * as aq from 'arquero';
import type { ColumnTable } from 'arquero';
import { tableToIPC, type Table } from 'apache-arrow';
import { expandToken } from './expand/expandToken.ts';
import type { TokenFacts } from './expand/parseToken.ts';
import { aggregatePartition } from './metrics/aggregatePartition.ts';
import { IdSet } from './metrics/IdSet.ts';
import { emptyMetrics, metricsFromCounts } from './metrics/metricsFromCells.ts';
import { selectPartitions, type PartitionSelection } from './partitions/selectPartitions.ts';
import { ConsentMetricsError } from './errors.ts';
import { DEFAULT_CONCURRENCY, readPartitions } from './read/readPartitions.ts';
import type { RunReport } from './report/RunReport.ts';
import { StageTimes } from './report/StageTimes.ts';
import { Tally } from './report/Tally.ts';
import type { S3Options } from './s3/createS3Client.ts';
import { retriesBetween, retryCountsOf } from './s3/retries.ts';
import { isS3Url } from './s3/parseS3Url.ts';
import { openSource } from './source/openSource.ts';
import type { CompressionName } from './write/encodeParquet.ts';
import { openSink } from './write/openSink.ts';
import { metricsToArrow } from './write/metricsToArrow.ts';
import { writeParquet } from './write/writeParquet.ts';

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
  /** Fail on the first reported line (rejected line or invalid token) and write nothing. Default: false. */
  strict?: boolean;
  /** Files and listings in flight at once. Default: 8. */
  concurrency?: number;
  /** Worker threads parsing local files; 0 parses on the calling thread. Default: the machine's cores (at most 8). */
  workers?: number;
  /** Called after each partition is processed, e.g. for progress (local runs). Default: none. */
  onPartition?: (done: { datehour: string; files: number; bytes: number; lines: number; events: number; of: number }) => void;
  /** Run through this BullMQ queue (`redis://HOST:PORT`), on `consent-metrics worker` processes; needs `work`. Default: run here. */
  queue?: string;
  /** With `queue`: a folder or `s3://` prefix every worker reaches, for the data tasks hand each other. */
  work?: string;
  /** With `queue`: id buckets, each one dedup task's share of the run's ids. Default: 16. */
  buckets?: number;
  /** With `queue`: how long Redis may be unreachable before the run fails, in milliseconds. Default: 20,000. */
  queueTimeout?: number;
  /** With `queue`: called as tasks finish, e.g. for progress. */
  onTask?: (progress: { done: number; of: number }) => void;
}

/**
 * What a run gives back: the metrics, the report, and the files it wrote.
 *
 * @example
 * const { metrics, report, written }: JobResult = await runJob({ root: 'fixtures/example/input', out: 'out/m.parquet' });
 */
export interface JobResult {
  /** One row per (datehour, domain, country); the columns of SPEC.md. */
  metrics: ColumnTable;
  /** What was read, left out, deduplicated and retried. */
  report: RunReport;
  /** Files written, when `out` was given. */
  written: string[];
  /** Where the time went, by stage (`--profile` prints it). */
  times: StageTimes;
}

/**
 * Runs the whole job: select partitions, read each (files in parallel, parsed by worker threads),
 * expand tokens, deduplicate across the run and count the metrics one partition at a time, then
 * write Parquet if asked. With `queue` and `work`, the same job runs as tasks on worker processes
 * (`runQueuedJob`), with the same result.
 * Nothing is written unless every partition was read without a fatal error.
 *
 * @example
 * const { metrics, report } = await runJob({ root: 'fixtures/example/input' });
 * metrics.print();
 */
export async function runJob(options: JobOptions): Promise<JobResult> {
  const { queue, work, onPartition: _, ...rest } = options;
  if (queue === undefined && work === undefined) return runHere(options);
  if (queue === undefined || work === undefined) throw new ConsentMetricsError('a queued run needs both --queue and --work');
  const { runQueuedJob } = await import('./queue/runQueuedJob.ts');
  const times = new StageTimes();
  const result = await times.wait('waiting', () => runQueuedJob({ ...rest, queue, work }));
  return { ...result, times };
}

async function runHere({
  root,
  out,
  compression = 'snappy',
  strict = false,
  concurrency = DEFAULT_CONCURRENCY,
  workers,
  onPartition,
  s3 = {},
  ...selection
}: JobOptions): Promise<JobResult> {
  // One client for input and output, made only when either is on S3.
  const usesS3 = isS3Url(root) || (out !== undefined && isS3Url(out));
  const s3Settings: S3Options = usesS3 && !s3.client ? { ...s3, client: (await import('./s3/createS3Client.ts')).createS3Client(s3) } : s3;
  const retriesSoFar = async () => (s3Settings.client ? retryCountsOf(s3Settings.client) : undefined);
  const retriesBefore = await retriesSoFar();
  const source = await openSource(root, s3Settings);
  const times = new StageTimes();
  const { partitions, warnings } = await times.wait('list', () => selectPartitions(source, selection));
  const target = out === undefined ? undefined : await openSink(out, s3Settings);

  const tally = new Tally(strict);
  const seenIds = new IdSet();
  const tokenCache = new Map<string, TokenFacts>();
  // Each partition's metrics as Arrow in the output schema: typed arrays, not JS arrays of values.
  const perPartition: Table[] = [];
  let files = 0;
  let duplicates = 0;
  const reads = readPartitions(source, partitions, { concurrency, strict, workers, times })[Symbol.asyncIterator]();
  for (;;) {
    const assembledBefore = times.milliseconds.assemble;
    const next = await times.wait('waiting', () => reads.next());
    times.milliseconds.waiting -= times.milliseconds.assemble - assembledBefore; // assembling ran inside that wait
    if (next.done) break;
    const read = next.value;
    tally.merge(read.tally);
    files += read.files;
    const expanded = times.measure('expand', () => expandToken(read.table, { tally, counts: false, tokenCache }));
    const { counts, groups, kept } = times.measure('dedup_count', () => aggregatePartition(expanded, seenIds));
    perPartition.push(times.measure('metrics', () => metricsToArrow(metricsFromCounts(counts, groups))));
    if (tokenCache.size > TOKEN_CACHE_LIMIT) tokenCache.clear(); // bounded memory when tokens are randomized
    duplicates += read.table.numRows - kept;
    onPartition?.({ datehour: read.partition.datehour, files: read.files, bytes: read.bytes, lines: read.tally.lines, events: kept, of: partitions.length });
  }

  const output = perPartition.length > 0 ? perPartition[0]!.concat(...perPartition.slice(1)) : metricsToArrow(emptyMetrics());
  const written = target
    ? await times.wait('write', () => writeParquet(output, target.sink, target.key, {
        compression,
        byDatehour: target.byDatehour ? partitions.map((partition) => partition.datehour) : undefined,
      }))
    : [];
  const report: RunReport = {
    root,
    partitions: partitions.map((partition) => partition.datehour),
    files,
    lines: tally.lines,
    events: seenIds.size,
    duplicates,
    rejected: tally.rejected,
    invalid_tokens: tally.invalidTokens,
    examples: tally.examples,
    warnings,
    retries: retriesBetween(retriesBefore, await retriesSoFar()),
  };
  // For the caller, an Arquero table (int64 read back as numbers).
  const metrics = times.measure('result', () => aq.fromArrow(tableToIPC(output, 'stream')));
  return { metrics, report, written, times };
}

/** Distinct tokens whose facts a run keeps between partitions. */
const TOKEN_CACHE_LIMIT = 100_000;
