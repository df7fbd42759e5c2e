import { formatTaskUsage, type TaskKindUsage } from './TaskUsage.ts';

/**
 * Where a run's time goes, by stage, in milliseconds: what `--profile` prints. Stages run on worker
 * threads (with local files: `parse`, `expand`, `assemble` and `count`) are summed over those
 * threads; the others are main-thread time, so their sum plus `waiting` (the main thread idle until
 * the next partition is read or counted) is the wall time. Files parsed on the main thread (S3,
 * `--workers 0`) are parsed while it waits for them: that `parse` is part of `waiting`.
 *
 * @example
 * STAGES.map((stage) => `${stage}: ${result.times.milliseconds[stage].toFixed(0)} ms`);
 */
export const STAGES = ['list', 'parse', 'assemble', 'expand', 'count', 'metrics', 'waiting', 'lookup', 'dedup', 'write', 'result'] as const;

/**
 * A stage of the job, as `--profile` names it.
 *
 * @example
 * const stage: Stage = 'dedup';
 */
export type Stage = (typeof STAGES)[number];

/**
 * Milliseconds by stage, added up as a run goes.
 *
 * @example
 * const times = new StageTimes();
 * const table = times.measure('assemble', () => partitionTable(datehour, files));
 * times.milliseconds.assemble; // time spent so far
 */
export class StageTimes {
  /** Milliseconds spent in each stage so far. */
  readonly milliseconds: Record<Stage, number> = Object.fromEntries(STAGES.map((stage) => [stage, 0])) as Record<Stage, number>;
  /** The stages that ran on worker threads, beside the main thread. `parse` on the main thread is part of `waiting`. */
  readonly besideMainThread: Set<Stage> = new Set();
  /** A queued run's tasks, by kind, as their workers measured them (the run itself mostly waits). */
  readonly tasks: Record<string, TaskKindUsage> = {};

  /** Runs `work`, adding its duration to `stage`. */
  measure<T>(stage: Stage, work: () => T): T {
    const started = performance.now();
    try {
      return work();
    } finally {
      this.milliseconds[stage] += performance.now() - started;
    }
  }

  /** Starts `work` and awaits it, adding both to `stage` (an async function's synchronous start counts too). */
  async wait<T>(stage: Stage, work: () => Promise<T>): Promise<T> {
    const started = performance.now();
    try {
      return await work();
    } finally {
      this.milliseconds[stage] += performance.now() - started;
    }
  }
}

/**
 * The stage times as an aligned table for a terminal: seconds and share of the wall time; with the
 * process's CPU time over the run, the main thread's busy time (its stages: the wall but `waiting`)
 * as a share of it.
 *
 * @example
 * console.error(formatStageTimes(result.profile!, wallMilliseconds, cpuMilliseconds));
 */
export function formatStageTimes(times: StageTimes, wallMilliseconds: number, cpuMilliseconds?: number): string {
  const rows = STAGES.map((stage) => {
    const ms = times.milliseconds[stage];
    const share = times.besideMainThread.has(stage) ? 'on worker threads'
      : stage === 'parse' ? 'within waiting' : `${((100 * ms) / wallMilliseconds).toFixed(1)}% of wall`;
    return `  ${stage.padEnd(12)}${(ms / 1000).toFixed(3).padStart(8)} s  ${share}`;
  });
  const tasks = Object.keys(times.tasks).length > 0 ? [formatTaskUsage(times.tasks)] : [];
  const mainThread = STAGES.filter((stage) => stage !== 'waiting' && stage !== 'parse' && !times.besideMainThread.has(stage))
    .reduce((sum, stage) => sum + times.milliseconds[stage], 0);
  const cpu = cpuMilliseconds === undefined ? [] : [`  main thread busy ${(mainThread / 1000).toFixed(3)} s: ${((100 * mainThread) / cpuMilliseconds).toFixed(1)}% of the run's ${(cpuMilliseconds / 1000).toFixed(3)} s of CPU`];
  return [`profile (wall ${(wallMilliseconds / 1000).toFixed(3)} s):`, ...rows, ...cpu, ...tasks].join('\n');
}
