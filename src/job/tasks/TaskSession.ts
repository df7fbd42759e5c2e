import { ConsentMetricsError, StrictModeError } from '../../errors.ts';
import type { Task, TaskResult } from './taskTypes.ts';

/**
 * How a run's tasks are run, stage after stage: on `consent-metrics worker` processes through Redis
 * (`openQueueSession`), or on this process's worker threads (`openThreadSession`). The run is the same
 * either way (`runInTasks`); only where the tasks run differs.
 *
 * @example
 * const session: TaskSession = await openThreadSession(2);
 * try { const results = await session.stage(tasks, names); } finally { await session.settle(); await session.close(); }
 */
export interface TaskSession {
  /** Tasks the run will have in all, for progress. */
  total: number;
  /**
   * Runs a stage's tasks and gives their results in order; the first failure in that order fails the
   * stage, with the results of the tasks before it (`resultsBefore`). `names` name the tasks in errors.
   */
  stage(tasks: Task[], names: string[]): Promise<TaskResult[]>;
  /** Once the last stage has ended: lets go of what the tasks' side holds (a thread's heap), before the output is made. */
  release(): Promise<void>;
  /** Waits for tasks still running after a failure (they write until they end), and takes back the rest. */
  settle(): Promise<void>;
  close(): Promise<void>;
}

/** The results of the tasks before the one whose failure a stage threw, in order. */
const finishedBefore = new WeakMap<Error, TaskResult[]>();

/**
 * A stage's failure at a task, as the run's one-line error (strict mode keeps its class: a task's
 * error crosses a thread or Redis as its message), remembering the results of the tasks before it.
 *
 * @example
 * throw stageFailure(error.message, results);
 */
export function stageFailure(message: string, before: readonly TaskResult[]): ConsentMetricsError {
  const error = message.startsWith(StrictModeError.PREFIX) ? new StrictModeError(message) : new ConsentMetricsError(message);
  finishedBefore.set(error, [...before]);
  return error;
}

/**
 * What the tasks of a stage before the one that failed it gave (a run applies strict mode to the reads
 * before a failed one, as an in-process run takes the partitions before a failed read); undefined for an
 * error that is not a stage's.
 *
 * @example
 * const before = resultsBefore(error); // before.length: the index of the task that failed
 */
export function resultsBefore(error: unknown): TaskResult[] | undefined {
  return error instanceof Error ? finishedBefore.get(error) : undefined;
}

/** `onTask` as a session calls it: tasks done of the run's total. */
export type TaskProgress = (progress: { done: number; of: number }) => void;
