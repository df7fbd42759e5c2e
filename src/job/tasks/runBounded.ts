import { ConsentMetricsError } from '../../errors.ts';
import type { StageTimes } from '../../report/StageTimes.ts';
import { boundedPlan } from '../memoryBudget.ts';
import { formatBytes } from '../../report/RunReport.ts';
import { runInTasks, type RunListing, type TaskRunOptions } from './runInTasks.ts';
import { openSpillFolder } from './spillFolder.ts';
import { openThreadSession } from './threadSession.ts';
import type { TaskProgress, TaskSession } from './TaskSession.ts';

/** What a row of the metrics handed back takes: its Arrow columns, then its Arquero copy. */
const RESULT_ROW_BYTES = 160;

/**
 * Runs the job within `budget` bytes (`runJob({ memory })` when the input does not fit in an
 * in-process run): the queue's tasks (`runInTasks`) on this process's threads, their files in a folder
 * of their own in `temp` (removed at the end, on failure, and on SIGINT, SIGTERM or SIGHUP), each task
 * sized to its thread's share of the budget.
 *
 * @example
 * const { metrics, report } = await runBounded({ root: 'data/events', out: 'out/m.parquet' }, { budget: 512 * 2 ** 20 });
 */
export async function runBounded(options: TaskRunOptions, { budget, temp, listing, cores, onTask }: { budget: number; temp?: string; listing?: RunListing; cores?: number; onTask?: TaskProgress }, times?: StageTimes) {
  const { threads, sizes, outputBytes } = boundedPlan(budget, cores);
  let session: TaskSession | undefined;
  // On a signal: the task threads stopped before the folder they write into is removed.
  const folder = openSpillFolder(temp, async () => session?.close());
  try {
    const keepRows = Math.floor(outputBytes / RESULT_ROW_BYTES);
    const openSession = async () => (session = openThreadSession(threads, onTask));
    return await runInTasks(options, { work: folder.path, openSession, readThreads: 0, sizes, keepRows, listing, sameProcess: true }, times);
  } catch (error) {
    const full = /\b(ENOSPC|EFBIG|EDQUOT)\b/.exec((error as Error).message);
    if (full && (error as Error).message.includes(folder.path)) {
      const why = { ENOSPC: 'is full', EFBIG: 'takes no file that large (a file-size limit)', EDQUOT: 'is over its disk quota' }[full[1] as 'ENOSPC' | 'EFBIG' | 'EDQUOT'];
      throw new ConsentMetricsError(`the temporary folder ${folder.parent} (temp, --temp) ${why} (${full[1]}): a run under memory ${formatBytes(budget)} keeps there what does not fit; give it a folder with more room`);
    }
    throw error;
  } finally {
    folder.remove();
  }
}
