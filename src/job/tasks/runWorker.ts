import { UnrecoverableError, Worker } from 'bullmq';
import { StrictModeError } from '../../errors.ts';
import { connectRedis } from './redisConnection.ts';
import { QUEUE_NAME, runTask, type Task } from './tasks.ts';

/**
 * How a worker takes tasks.
 *
 * @example
 * const options: WorkerOptions = { queue: 'redis://10.0.0.5:6379', concurrency: 2 };
 */
export interface WorkerOptions {
  /** The Redis runs put their tasks on: `redis://HOST:PORT`. */
  queue: string;
  /** Tasks at once in this process, each on one core. Default: 1 (run a worker per core, or set this to the cores). */
  concurrency?: number;
  /**
   * How long a task's lock lasts without renewal, in milliseconds; the worker renews it every half.
   * A worker killed mid-task holds its task until the lock expires; then the stalled-job check (run
   * by every worker each `lockDuration`) gives the task to another worker. Default: 30,000.
   */
  lockDuration?: number;
  /** Called when a task ends, with its kind and its error if it failed. */
  onTask?: (kind: Task['kind'], error?: Error) => void;
  /** Called once when Redis goes away (with why), and once when it is back. */
  onConnection?: (event: 'lost' | 'back', why?: string) => void;
}

/**
 * Takes tasks from the queue until closed; `close()` finishes the tasks in hand, then returns. With
 * Redis away (or gone while it waits), a task's result could not be handed back: `close()` gives up on
 * it within about a second, and BullMQ's stalled-job check later gives it to another worker. Strict
 * mode's failure is a user's mistake: it fails its run at once, without the retries that transient
 * failures get.
 *
 * @example
 * const worker = startWorker({ queue: 'redis://127.0.0.1:6379' });
 * process.once('SIGTERM', () => worker.close().then(() => process.exit(0)));
 */
/** Times a task is taken back from a lost worker (killed mid-task) before it fails its run. */
export const MAX_STALLED = 2;

/** How long a closing worker waits for an absent Redis before it leaves its tasks to the stalled-job check. */
const GIVE_UP_ON_REDIS_MS = 1_000;

export function startWorker({ queue, concurrency = 1, lockDuration = 30_000, onTask, onConnection }: WorkerOptions): { close(): Promise<void> } {
  // A worker outlives a Redis failover: it reconnects, with backoff, for as long as it runs.
  const { redis } = connectRedis(queue, Number.POSITIVE_INFINITY, { onDrop: (why) => onConnection?.('lost', why), onBack: () => onConnection?.('back') });
  const worker = new Worker<Task>(QUEUE_NAME, async (job) => {
    try {
      const result = await runTask(job.data);
      onTask?.(job.data.kind);
      return result;
    } catch (error) {
      onTask?.(job.data.kind, error as Error);
      throw error instanceof StrictModeError ? new UnrecoverableError(error.message) : error;
    }
  }, {
    connection: redis,
    concurrency,
    lockDuration,
    stalledInterval: lockDuration,
    maxStalledCount: MAX_STALLED,
  });
  worker.on('error', () => {}); // connection errors: ioredis reconnects; nothing to do here
  return {
    async close() {
      const closing = worker.close(); // waits for the tasks in hand, which need Redis to hand their results back
      closing.catch(() => {});
      let awaySince = 0;
      let timer: ReturnType<typeof setInterval> | undefined;
      const redisAway = new Promise<void>((resolve) => {
        timer = setInterval(() => {
          if (redis.status === 'ready') return void (awaySince = 0);
          awaySince ||= Date.now();
          if (Date.now() - awaySince >= GIVE_UP_ON_REDIS_MS) resolve();
        }, 100);
      });
      await Promise.race([closing, redisAway]);
      clearInterval(timer);
      redis.disconnect();
      // BullMQ's own connections may still be reconnecting: not waited for (the command exits).
      await Promise.race([worker.close(true), new Promise((resolve) => setTimeout(resolve, GIVE_UP_ON_REDIS_MS).unref())]).catch(() => {});
    },
  };
}
