import type { Table } from 'apache-arrow';
import pMap from 'p-map';
import type { CountedGroups } from '../../metrics/countRows.ts';
import type { S3Options } from '../../s3/createS3Client.ts';
import { decodeBlob } from '../../state/stateBlobs.ts';
import { openSink } from '../../write/openSink.ts';
import { writeBatchesToTarget, type MetricsBatch } from '../../write/writeParquet.ts';
import { METRICS_BATCH_GROUPS, partitionsMetrics } from '../jobOutput.ts';
import { countsKey, type RunPlan } from './tasks.ts';
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
  const groups: number[] = [];
  let ended = false;
  let failure: { error: unknown } | undefined;
  let wake: (() => void) | undefined;
  const changed = () => (wake?.(), (wake = undefined));
  const tables: Table[] = [];

  const load = (from: number, to: number) => pMap(plan.partitions.slice(from, to), async ({ datehour }, offset): Promise<CountedGroups> => {
    const rows = groups[from + offset]!;
    const key = countsKey(datehour);
    const columns = await decodeBlob(await store.get(key), { kind: 'counts', datehour, rows }, store.describe(key));
    return { datehour, groups: rows, ...(columns as Omit<CountedGroups, 'datehour' | 'groups'>) };
  }, { concurrency: 8 });

  async function* batches(): AsyncGenerator<MetricsBatch> {
    for (let first = 0; first < plan.partitions.length; ) {
      // A batch: partitions from `first` until their groups reach the batch size, or the last one.
      let last = first;
      let sum = 0;
      for (;;) {
        if (failure) throw failure.error;
        while (last < groups.length && sum < groupsPerBatch) sum += groups[last++]!;
        if (sum >= groupsPerBatch || last === plan.partitions.length || ended) break;
        await new Promise<void>((resolve) => (wake = resolve));
      }
      // Ended with partitions not counted: a file without them must never pass for the run's output.
      if (last === first) throw new Error(`the output ended with ${plan.partitions.length - first} partition(s) not counted`);
      const table = partitionsMetrics(await load(first, last));
      tables.push(table);
      yield { metrics: table, datehours: plan.partitions.slice(first, last).map(({ datehour }) => datehour) };
      first = last;
    }
  }

  const done = (async () => {
    if (plan.out !== undefined) return { tables, written: await writeBatchesToTarget(batches(), await openSink(plan.out, s3), plan.compression) };
    for await (const _ of batches());
    return { tables, written: [] };
  })();
  done.catch(() => {}); // awaited by the run, which gives the count stage's failure first
  return {
    counted(partitionGroups: number) {
      groups.push(partitionGroups);
      changed();
    },
    end() {
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
