import { Queue, QueueEvents, type Job } from 'bullmq';
import { connectRedis } from './redisConnection.ts';
import { QUEUE_NAME, type Task, type TaskResult } from './tasks.ts';
import { MAX_STALLED } from './runWorker.ts';
import { stageFailure, type TaskProgress, type TaskSession } from './TaskSession.ts';

/** Attempts per task: transient failures (S3 errors past the SDK's own retries, a lost worker) are retried with backoff. */
export const TASK_ATTEMPTS = 3;

/**
 * A run's connection to the queue: it adds stages of tasks and waits for them, run by `consent-metrics
 * worker` processes. Losing Redis for `timeout` milliseconds fails whatever waits, with one line.
 *
 * @example
 * const session = await openQueueSession('redis://127.0.0.1:6379', 20_000, runId, onTask);
 * try { const results = await session.stage(tasks, names); } finally { await session.settle(); await session.close(); }
 */
export async function openQueueSession(url: string, timeout: number, runId: string, onTask?: TaskProgress): Promise<TaskSession> {
  const connections = [connectRedis(url, timeout), connectRedis(url, timeout)];
  const lost = Promise.race(connections.map((connection) => connection.lost));
  const queue = new Queue(QUEUE_NAME, { connection: connections[0]!.redis });
  // Connection errors surface through `lost`; without listeners BullMQ would print each one.
  queue.on('error', () => {});
  queue.setMaxListeners(0); // each job waited for listens for the queue closing
  let isLost = false;
  lost.catch(() => (isLost = true));
  const jobs: Job[] = [];
  let done = 0;
  let events: QueueEvents | undefined;
  try {
    // Events are read from the stream's last entry now, before any task of this run is added. BullMQ's
    // default, '$', reads only what comes after its first read, which starts after `waitUntilReady`,
    // and starts afresh after each idle 10 s read: a task finishing in between was never heard of,
    // and the run waited for it forever (seen in the queue tests, with every task done).
    const [last] = await Promise.race([lost, connections[1]!.redis.xrevrange(queue.keys.events!, '+', '-', 'COUNT', 1)]);
    events = new QueueEvents(QUEUE_NAME, { connection: connections[1]!.redis, lastEventId: last?.[0] ?? '0-0' });
    events.on('error', () => {});
    await Promise.race([lost, events.waitUntilReady()]);
  } catch (error) {
    await Promise.allSettled([queue.close(), events?.close()]);
    for (const { redis } of connections) redis.disconnect();
    throw error;
  }
  const queueEvents = events;

  const session: TaskSession = {
    total: 0,

    /** Adds a stage's tasks and waits for them, in order; the first failure in that order fails the run. */
    async stage(tasks: Task[], names: string[]) {
      const added = await Promise.race([lost, queue.addBulk(tasks.map((task, index) => ({
        name: task.kind,
        data: task,
        opts: { jobId: `${runId}.${task.kind}.${names[index]}`, attempts: TASK_ATTEMPTS, backoff: { type: 'exponential', delay: 1000 } },
      })))]);
      jobs.push(...added);
      const outcomes = added.map((job) => job.waitUntilFinished(queueEvents).then(
        (result: TaskResult) => (onTask?.({ done: ++done, of: session.total }), { result }),
        (error: Error) => {
          // Tasks after a failed one are not needed: take back those not started.
          for (const later of added.slice(added.indexOf(job) + 1)) later.remove().catch(() => {});
          return { error };
        },
      ));
      const results: TaskResult[] = [];
      for (const [index, outcome] of outcomes.entries()) {
        const settled = await Promise.race([lost, outcome]);
        if ('error' in settled) throw stageFailure(failure(settled.error.message, `${tasks[index]!.kind} task ${names[index]}`), results);
        results.push(settled.result);
      }
      return results;
    },

    release: async () => {}, // the workers hold nothing of the run's between tasks

    /** Takes back the run's tasks, waiting for those still running (they write until they end). */
    async settle(): Promise<void> {
      if (isLost) return;
      const removals = await Promise.allSettled(jobs.map((job) => job.remove()));
      const running = jobs.filter((_, index) => removals[index]!.status === 'rejected');
      await Promise.race([lost, Promise.allSettled(running.map((job) => job.waitUntilFinished(queueEvents)))]).catch(() => {});
      await Promise.allSettled(running.map((job) => job.remove()));
    },

    async close(): Promise<void> {
      await Promise.allSettled([queue.close(), queueEvents.close()]);
      for (const { redis } of connections) redis.disconnect();
    },
  };
  return session;
}

/**
 * A task's failure as the run's message: the task's own reason. A task whose worker died under it each
 * time (killed, out of memory: no reason of its own) is named, with what to look at.
 */
function failure(message: string, task: string): string {
  if (message === BULLMQ_STALLED) {
    return `${task} was lost with its worker ${MAX_STALLED + 1} times (each worker process stopped mid-task: killed, or out of memory?): see the workers' logs and memory limits`;
  }
  return message;
}

/** BullMQ's reason for a task taken back from lost workers more than `maxStalledCount` times. */
const BULLMQ_STALLED = 'job stalled more than allowable limit';
