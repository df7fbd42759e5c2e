// The public API's edge for notebooks: the stages whose results a notebook shows, wrapped so that
// their results display themselves. The stages return plain data and never import this folder.
import type { Partition } from '../partitions/selectPartitions.ts';
import { readPartitions as readPartitionsData, type PartitionEvents, type ReadOptions } from '../read/readPartitions.ts';
import { summarizeReport } from '../report/RunReport.ts';
import { runJob as runJobData, type JobOptions, type JobResult } from '../job/runJob.ts';
import type { Source } from '../source/Source.ts';
import { displayTable, escapeHtml, JUPYTER_DISPLAY, type Displayable } from './show.ts';

/**
 * Runs the whole job: select partitions, read each (files in parallel, parsed by worker threads),
 * expand tokens, deduplicate across the run and count the metrics one partition at a time, then
 * write Parquet if asked. Nothing is written unless every partition was read without a fatal error.
 * In a notebook, the result displays as the metrics table and the report summary.
 *
 * @example
 * const { metrics, report } = await runJob({ root: 'fixtures/example/input', out: 'out/metrics.parquet' });
 * metrics.print();
 */
export async function runJob(options: JobOptions): Promise<JobResult & Displayable> {
  const result = await runJobData(options);
  return Object.assign(result, {
    [JUPYTER_DISPLAY]: () => {
      const table = displayTable(result.metrics, { title: 'Metrics' })[JUPYTER_DISPLAY]();
      const summary = summarizeReport(result.report);
      return {
        'text/html': `${table['text/html']}\n<pre>${escapeHtml(summary)}</pre>`,
        'text/plain': `${table['text/plain']}\n${summary}`,
      };
    },
  });
}

/**
 * Reads partitions one after another in datehour order, yielding each as soon as its files are read
 * (files of all partitions under one `concurrency` bound; local files parsed by worker threads). In
 * a notebook, each partition displays as its datehour, files, lines and first rows.
 *
 * @example
 * for await (const { partition, table } of readPartitions(source, partitions, { concurrency: 8 })) {
 *   console.log(partition.datehour, table.numRows);
 * }
 */
export async function* readPartitions(
  source: Source,
  partitions: readonly Partition[],
  options: ReadOptions = {},
): AsyncGenerator<PartitionEvents & Displayable> {
  for await (const events of readPartitionsData(source, partitions, options)) yield displayPartition(events);
}

/**
 * Reads every file of one partition (in key order, skipping names that start with `_` or `.`) into
 * one Arrow table; see {@link readPartitions}. In a notebook, it displays as its first rows.
 *
 * @example
 * const { table, tally } = await readPartition(source, { datehour: '2021-01-23-10', key: 'datehour=2021-01-23-10' });
 */
export async function readPartition(source: Source, partition: Partition, options: ReadOptions = {}): Promise<PartitionEvents & Displayable> {
  for await (const events of readPartitions(source, [partition], options)) return events;
  throw new Error('unreachable: readPartitions yields one result per partition');
}

function displayPartition(events: PartitionEvents): PartitionEvents & Displayable {
  const title = `datehour=${events.partition.datehour}: ${events.files} file(s), ${events.tally.lines} line(s)`;
  return Object.assign(events, { [JUPYTER_DISPLAY]: () => displayTable(events.table, { title, limit: 10 })[JUPYTER_DISPLAY]() });
}
