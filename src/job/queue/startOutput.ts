import type { Table } from 'apache-arrow';
import pMap from 'p-map';
import type { S3Options } from '../../s3/createS3Client.ts';
import { openSink } from '../../write/openSink.ts';
import { writeBatchesToTarget, type MetricsBatch } from '../../write/writeParquet.ts';
import { partitionsMetrics } from '../jobOutput.ts';
import { MetricsBatches, METRICS_BATCH_GROUPS } from '../metricsBatches.ts';
import { readCounts, type RunPlan } from './tasks.ts';
import type { WorkStore } from './WorkStore.ts';

/**
 * A queued run's output, made by the run while its count tasks run: `counted` is told each partition's
 * groups as its count task ends, in datehour order; once they add up to a batch (~50k groups), their
 * counts are read from the work location, made into metrics (one Arquero call for the batch, as in an
 * in-process run) and sent into the Parquet writer. `end` after the last partition; `fail` stops the
 * output, and `--out` is left as it was (a temporary file removed, a multipart upload aborted).
 * `groupsPerBatch` is for tests: smaller batches, the same bytes.
 *
 * @example
 * const output = startOutput(plan, store, s3);
 * await session.stage(countTasks, names, (result) => output.counted(result.groups!));
 * output.end();
 * const { tables, written } = await output.done;
 */
export function startOutput(plan: RunPlan, store: WorkStore, s3: S3Options, groupsPerBatch = METRICS_BATCH_GROUPS) {
  const collector = new MetricsBatches<{ datehour: string; groups: number }>(groupsPerBatch);
  const ready: { datehour: string; groups: number }[][] = [];
  let counted = 0;
  let ended = false;
  let failure: { error: unknown } | undefined;
  let wake: (() => void) | undefined;
  const changed = () => (wake?.(), (wake = undefined));
  const tables: Table[] = [];

  const load = (batch: { datehour: string; groups: number }[]) => pMap(batch, ({ datehour, groups }) => readCounts(store, datehour, groups), { concurrency: 8 });

  async function* batches(): AsyncGenerator<MetricsBatch> {
    for (;;) {
      if (failure) throw failure.error;
      const batch = ready.shift();
      if (batch) {
        const table = partitionsMetrics(await load(batch));
        tables.push(table);
        yield { metrics: table, datehours: batch.map(({ datehour }) => datehour) };
      } else if (ended) {
        // Ended with partitions not counted: a file without them must never pass for the run's output.
        if (counted < plan.partitions.length) throw new Error(`the output ended with ${plan.partitions.length - counted} partition(s) not counted`);
        return;
      } else {
        await new Promise<void>((resolve) => (wake = resolve));
      }
    }
  }

  const done = (async () => {
    if (plan.out !== undefined) return { tables, written: await writeBatchesToTarget(batches(), await openSink(plan.out, s3), plan.compression) };
    for await (const _ of batches());
    return { tables, written: [] };
  })();
  done.catch(() => {}); // awaited by the run, which gives the count stage's failure first
  return {
    counted(groups: number) {
      const batch = collector.add({ datehour: plan.partitions[counted++]!.datehour, groups });
      if (batch) ready.push(batch);
      changed();
    },
    end() {
      const last = collector.take();
      if (last) ready.push(last);
      ended = true;
      changed();
    },
    fail(error: unknown) {
      failure = { error };
      changed();
    },
    done,
  };
}
