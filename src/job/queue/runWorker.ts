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
}

/**
 * Takes tasks from the queue until closed; `close()` finishes the tasks in hand, then returns.
 * Strict mode's failure is a user's mistake: it fails its run at once, without the retries that
 * transient failures get.
 *
 * @example
 * const worker = startWorker({ queue: 'redis://127.0.0.1:6379' });
 * process.once('SIGTERM', () => worker.close().then(() => process.exit(0)));
 */
export function startWorker({ queue, concurrency = 1, lockDuration = 30_000, onTask }: WorkerOptions): { close(): Promise<void> } {
  // A worker outlives a Redis failover: it reconnects for as long as it runs.
  const { redis } = connectRedis(queue, Number.POSITIVE_INFINITY);
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
    // A task taken back from a lost worker more than this many times fails its run.
    maxStalledCount: 2,
  });
  worker.on('error', () => {}); // connection errors: ioredis reconnects; nothing to do here
  return {
    async close() {
      await worker.close();
      redis.disconnect();
    },
  };
}
