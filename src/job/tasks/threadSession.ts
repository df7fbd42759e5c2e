import { ParserPool } from '../../read/ParserPool.ts';
import { jobWorkerEntry } from '../jobWorkerEntry.ts';
import { stageFailure, type TaskProgress, type TaskSession } from './TaskSession.ts';
import type { TaskResult } from './taskTypes.ts';

/**
 * A run's tasks on `threads` worker threads of this process, one task a thread at a time (a task's
 * memory is what the run plans for): the queue's stages without Redis, for a run whose work goes to a
 * local folder (a run under a memory budget). Tasks start in order; after a failure no later task
 * starts, and those running finish, so the tasks before the failed one all have results.
 *
 * @example
 * const session = openThreadSession(2);
 * try { const results = await session.stage(tasks, names); } finally { await session.close(); }
 */
export function openThreadSession(threads: number, onTask?: TaskProgress): TaskSession {
  const pool = new ParserPool(threads, jobWorkerEntry());
  let done = 0;
  const session: TaskSession = {
    total: 0,
    async stage(tasks, names) {
      const outcomes: ({ result: TaskResult } | { error: Error })[] = new Array(tasks.length);
      let next = 0;
      let failed = tasks.length;
      const takeTasks = async () => {
        while (next < failed) {
          const index = next++;
          try {
            outcomes[index] = { result: await pool.run<TaskResult>({ kind: 'task', task: tasks[index] }, [], `${tasks[index]!.kind} task ${names[index]}`, 1) };
            onTask?.({ done: ++done, of: session.total });
          } catch (error) {
            outcomes[index] = { error: error as Error };
            failed = Math.min(failed, index);
          }
        }
      };
      await Promise.all(Array.from({ length: pool.size }, takeTasks));
      const results: TaskResult[] = [];
      for (const outcome of outcomes.slice(0, Math.min(failed + 1, tasks.length))) {
        if ('error' in outcome) throw stageFailure(outcome.error.message, results);
        results.push(outcome.result);
      }
      return results;
    },
    release: () => pool.close(), // each thread's heap, grown by the tasks it ran
    settle: async () => {}, // a stage returns once its tasks have all ended
    close: () => pool.close(),
  };
  return session;
}
