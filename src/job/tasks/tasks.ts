import { readPartitionFiles } from '../../read/readPartitionFiles.ts';
import { openStateStore } from '../../state/openStateStore.ts';
import { ObjectWriter, readPartition, type PartitionBase } from '../statePartitions.ts';
import { measureTask } from '../../report/TaskUsage.ts';
import { ConsentMetricsError } from '../../errors.ts';
import type { S3Options } from '../../s3/createS3Client.ts';
import { isS3Url } from '../../s3/parseS3Url.ts';
import { retriesBetween, type RetryCounts } from '../../s3/retryKinds.ts';
import { openSource } from '../../source/openSource.ts';
import { countTask, dedupTask, readTask } from './stageTasks.ts';
import { openWorkStore } from './openWorkStore.ts';
import type { RunPlan, RunRef, StateRead, Task, TaskResult } from './taskTypes.ts';
import { countingWorkStore, type WorkStore } from './WorkStore.ts';

export type { PlannedRead, RunPlan, RunRef, StateRead, Task, TaskResult } from './taskTypes.ts';

/** The BullMQ queue every run and worker uses; runs are told apart by their id, in every job id. */
export const QUEUE_NAME = 'consent-metrics';

/** The run's plan, as JSON, in its work folder: written by the run before its first task. */
export const PLAN_KEY = 'plan.json';
// 3: read tasks of splits, count tasks of (partition, shard), dedup before counting.
const PLAN_FORMAT = 'consent-metrics-run-plan/3';

/**
 * Runs one task. Every task only reads what earlier stages wrote and writes files of its own, whole,
 * so running it twice (a worker lost mid-task) gives the same files.
 *
 * @example
 * await runTask({ kind: 'read', run, read: 0 });
 */
export async function runTask(task: Task): Promise<TaskResult> {
  const { value, usage } = await measureTask(() => (task.kind === 'stateRead' ? stateReadTask(task.read) : planTask(task)));
  return { ...value, usage };
}

/**
 * Writes a run's plan where its tasks find it (`RunRef`). Before any task is added.
 *
 * @example
 * await writePlan(plan, await openWorkStore(plan.work));
 */
export async function writePlan(plan: RunPlan, store: WorkStore): Promise<void> {
  // JSON has no Infinity: a split open at its end (`splitsOf`'s last) is written with end null.
  await store.put(PLAN_KEY, new TextEncoder().encode(JSON.stringify({ format: PLAN_FORMAT, ...plan })));
}

/** The plans of the runs this worker took tasks of lately: read once a run, not once a task. */
const plans = new Map<string, Promise<RunPlan>>();
const PLANS_KEPT = 4;

function planOf(run: RunRef, store: WorkStore): Promise<RunPlan> {
  let plan = plans.get(run.runId);
  if (!plan) {
    plan = store.get(PLAN_KEY).then((bytes) => {
      const { format, ...read } = JSON.parse(new TextDecoder().decode(bytes), (key, value) => (key === 'end' && value === null ? Infinity : value)) as RunPlan & { format: unknown };
      // Runs and workers of different versions cannot share tasks: say so, rather than misread them.
      if (format !== PLAN_FORMAT || read.runId !== run.runId) {
        throw new ConsentMetricsError(`${store.describe(PLAN_KEY)} is not a plan this worker reads (${JSON.stringify(format)}, run ${read.runId}): run workers of the run's version`);
      }
      return read;
    });
    plan.catch(() => plans.delete(run.runId)); // a failed read is tried again by the task's next attempt
    plans.set(run.runId, plan);
    for (const old of [...plans.keys()].slice(0, -PLANS_KEPT)) plans.delete(old);
  }
  return plan;
}

/**
 * A task's S3 settings with a client of its own when the run uses S3, and the retries that client has
 * made so far. The AWS SDK is loaded only then: ~0.2 s of CPU in every worker process otherwise.
 */
async function taskS3(settings: Omit<S3Options, 'client' | 'credentials'> | undefined): Promise<{ s3: S3Options; retriesSoFar: () => Promise<RetryCounts | undefined> }> {
  if (!settings) return { s3: {}, retriesSoFar: async () => undefined };
  const [{ createS3Client }, { retryCountsOf }] = await Promise.all([import('../../s3/createS3Client.ts'), import('../../s3/retries.ts')]);
  const client = createS3Client(settings);
  return { s3: { ...settings, client }, retriesSoFar: () => retryCountsOf(client) };
}

async function planTask(task: Exclude<Task, { kind: 'stateRead' }>): Promise<TaskResult> {
  const { run } = task;
  const { s3, retriesSoFar } = await taskS3(run.s3);
  try {
    const before = await retriesSoFar();
    const store = countingWorkStore(await openWorkStore(run.work, s3));
    const plan = await planOf(run, store);
    let result: Omit<TaskResult, 'retries'>;
    switch (task.kind) {
      case 'read':
        result = await readTask(plan, task.read, store, s3);
        break;
      case 'dedup':
        result = await dedupTask(plan, task.bucket, task.ids, store);
        break;
      case 'count':
        result = await countTask(plan, task, store);
        break;
    }
    return { ...result, work: { ...store.bytes }, retries: retriesBetween(before, await retriesSoFar()) };
  } finally {
    s3.client?.destroy(); // a failed task too: a worker runs for weeks, its sockets must not pile up
  }
}

/** Reads one partition of an incremental run, on this thread, and writes its objects into the state. */
async function stateReadTask(read: StateRead): Promise<TaskResult> {
  const { s3, retriesSoFar } = await taskS3([read.root, read.state].some(isS3Url) ? read.s3 : undefined);
  try {
    const before = await retriesSoFar();
    const [source, store] = await Promise.all([openSource(read.root, s3), openStateStore(read.state, s3)]);
    const objects = new ObjectWriter(store, read.version);
    let state: PartitionBase | undefined;
    for await (const files of readPartitionFiles(source, [read.partition], { concurrency: read.concurrency, workers: 0, judgeTokens: true, splitBytes: read.splitBytes })) {
      state = await readPartition(read.partition.datehour, read.files, files, new Map(), objects, read.strict).base();
    }
    return { state, retries: retriesBetween(before, await retriesSoFar()) };
  } finally {
    s3.client?.destroy();
  }
}
