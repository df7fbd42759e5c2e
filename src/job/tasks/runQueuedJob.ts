import type { JobResult, QueueOptions } from '../JobOptions.ts';
import type { StageTimes } from '../../report/StageTimes.ts';
import type { TaskKindUsage } from '../../report/TaskUsage.ts';
import { openQueueSession } from './queueSession.ts';
import { runInTasks, type TaskRunOptions } from './runInTasks.ts';

/**
 * A run through the queue: `runJob`'s options with `queue` and its `work` given, without `state`
 * (`onPartition` is not called: partitions are counted on the workers; `queue.onTask` reports progress).
 *
 * @example
 * const options: QueuedJobOptions = { root: 's3://events/raw', out: 's3://results/m.parquet', queue: { url: 'redis://10.0.0.5:6379', work: 's3://scratch/consent-metrics' } };
 */
export type QueuedJobOptions = TaskRunOptions & { queue: QueueOptions & { work: string } };

/**
 * Runs the job through a BullMQ queue on Redis, on as many `consent-metrics worker` processes as
 * are running (`runInTasks` with the tasks on the workers), and gives exactly what a local `runJob`
 * gives. Each read task parses on its worker's thread unless `workers` says otherwise (workers scale by
 * process).
 *
 * @example
 * const { metrics, report } = await runQueuedJob({ root: 'data/events', queue: { url: 'redis://127.0.0.1:6379', work: '/mnt/shared/work' } });
 */
export async function runQueuedJob({ queue: { url, work, timeout = 20_000, onTask }, workers = 0, ...options }: QueuedJobOptions, times?: StageTimes): Promise<Omit<JobResult, 'times'> & { tasks: Record<string, TaskKindUsage> }> {
  const { work: _, ...result } = await runInTasks(options, { work, openSession: (runId) => openQueueSession(url, timeout, runId, onTask), readThreads: workers }, times);
  return result;
}
