import * as aq from 'arquero';
import { ConsentMetricsError } from './errors.ts';
import { tableToIPC, type Table } from 'apache-arrow';
import { expandToken } from './expand/expandToken.ts';
import type { TokenFacts } from './expand/parseToken.ts';
import { aggregatePartition } from './metrics/aggregatePartition.ts';
import { IdSet } from './metrics/IdSet.ts';
import { metricsFromCounts } from './metrics/metricsFromCells.ts';
import { selectPartitions } from './partitions/selectPartitions.ts';
import { DEFAULT_CONCURRENCY, readPartitions } from './read/readPartitions.ts';
import { assembleReport } from './report/RunReport.ts';
import { StageTimes } from './report/StageTimes.ts';
import { Tally } from './report/Tally.ts';
import type { S3Options } from './s3/createS3Client.ts';
import type { JobOptions, JobResult } from './JobOptions.ts';
import { retriesBetween, retryCountsOf } from './s3/retries.ts';
import { isS3Url } from './s3/parseS3Url.ts';
import { openSource } from './source/openSource.ts';
import { openSink } from './write/openSink.ts';
import { joinMetrics, metricsToArrow } from './write/metricsToArrow.ts';
import { writeToTarget } from './write/writeParquet.ts';

export type { JobOptions, JobResult } from './JobOptions.ts';

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
  const { queue, work, buckets, queueTimeout, onTask, ...here } = options;
  if (queue === undefined && work === undefined) return runHere(here);
  if (queue === undefined || work === undefined) throw new ConsentMetricsError('a queued run needs both --queue and --work');
  const { runQueuedJob } = await import('./queue/runQueuedJob.ts');
  const times = new StageTimes();
  const result = await times.wait('waiting', () => runQueuedJob({ ...options, queue, work }));
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

  const output = joinMetrics(perPartition);
  const datehours = partitions.map((partition) => partition.datehour);
  const written = target ? await times.wait('write', () => writeToTarget(output, target, datehours, compression)) : [];
  const report = assembleReport({
    root, partitions: datehours, files, tally, events: seenIds.size, duplicates, warnings,
    retries: retriesBetween(retriesBefore, await retriesSoFar()),
  });
  // For the caller, an Arquero table (int64 read back as numbers).
  const metrics = times.measure('result', () => aq.fromArrow(tableToIPC(output, 'stream')));
  return { metrics, report, written, times };
}

/** Distinct tokens whose facts a run keeps between partitions. */
const TOKEN_CACHE_LIMIT = 100_000;
