/**
 * What one queued task cost, as the worker process that ran it measured: its wall time, the CPU
 * time of the whole process meanwhile (its parser threads too; tasks at once in one process, with
 * `worker --concurrency` above 1, share that figure), and the process's peak RSS when it ended.
 *
 * @example
 * const usage: TaskUsage = { seconds: 0.41, cpuSeconds: 0.62, peakRssMiB: 231 };
 */
export interface TaskUsage {
  /** Wall time, start to end. */
  seconds: number;
  /** CPU time of the worker process meanwhile, its threads included. */
  cpuSeconds: number;
  /** The worker process's peak resident memory so far, in MiB. */
  peakRssMiB: number;
}

/**
 * Tasks of one kind together: how many, their seconds and CPU seconds summed, and the highest peak
 * RSS a worker had when one of them ended (a peak counts every task the process ran before, too).
 *
 * @example
 * const reads: TaskKindUsage = { tasks: 240, seconds: 36.1, cpuSeconds: 30.2, peakRssMiB: 245 };
 */
export interface TaskKindUsage extends TaskUsage {
  /** How many tasks of the kind ran. */
  tasks: number;
}

/**
 * Measures `work` as one task: its wall time, the process's CPU time meanwhile and its peak RSS after.
 *
 * @example
 * const { value, usage } = await measureTask(() => runTask(task));
 */
export async function measureTask<T>(work: () => Promise<T>): Promise<{ value: T; usage: TaskUsage }> {
  const started = performance.now();
  const cpu = process.cpuUsage();
  const value = await work();
  const { user, system } = process.cpuUsage(cpu);
  const usage = { seconds: (performance.now() - started) / 1000, cpuSeconds: (user + system) / 1e6, peakRssMiB: process.resourceUsage().maxRSS / 1024 };
  return { value, usage };
}

/**
 * Tasks' usage summed by kind, in the order the kinds first come.
 *
 * @example
 * const byKind = usageByKind([{ kind: 'read', usage }, { kind: 'dedup', usage }]);
 */
export function usageByKind(tasks: readonly { kind: string; usage?: TaskUsage }[]): Record<string, TaskKindUsage> {
  const byKind: Record<string, TaskKindUsage> = {};
  for (const { kind, usage } of tasks) {
    if (!usage) continue;
    const sum = (byKind[kind] ??= { tasks: 0, seconds: 0, cpuSeconds: 0, peakRssMiB: 0 });
    sum.tasks += 1;
    sum.seconds += usage.seconds;
    sum.cpuSeconds += usage.cpuSeconds;
    sum.peakRssMiB = Math.max(sum.peakRssMiB, usage.peakRssMiB);
  }
  return byKind;
}

/**
 * The tasks' usage by kind as an aligned table for a terminal (what `--profile` adds for a queued run).
 *
 * @example
 * console.error(formatTaskUsage(usageByKind(tasks)));
 */
export function formatTaskUsage(byKind: Record<string, TaskKindUsage>): string {
  const rows = Object.entries(byKind).map(([kind, { tasks, seconds, cpuSeconds, peakRssMiB }]) =>
    `  ${kind.padEnd(10)}${String(tasks).padStart(6)}${seconds.toFixed(2).padStart(12)} s${cpuSeconds.toFixed(2).padStart(12)} s${peakRssMiB.toFixed(0).padStart(12)} MiB`);
  return ['tasks, on the workers:', `  ${'kind'.padEnd(10)}${'tasks'.padStart(6)}${'wall, summed'.padStart(14)}${'CPU'.padStart(14)}${'peak RSS'.padStart(16)}`, ...rows].join('\n');
}
