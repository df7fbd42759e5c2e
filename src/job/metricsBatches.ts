// How a run groups partitions for making metrics, in a module of its own: runJob uses it before
// Arquero has loaded (jobOutput.ts loads Arquero).

/**
 * Groups whose metrics Arquero makes in one call: enough that its compiling of the expressions is
 * small beside computing them (a call per partition of ~10k groups cost more than the counting).
 */
export const METRICS_BATCH_GROUPS = 50_000;

/**
 * Collects partitions, in datehour order, into batches of at least `groupsPerBatch` groups: `add`
 * gives a batch back once the partitions waiting reach it; `take` gives what waits (the last batch).
 *
 * @example
 * const batches = new MetricsBatches<GroupCounts>();
 * const full = batches.add(counts); // a batch, or undefined
 * const last = batches.take();
 */
export class MetricsBatches<Counted extends { groups: number }> {
  private waiting: Counted[] = [];
  private groups = 0;

  constructor(private readonly groupsPerBatch = METRICS_BATCH_GROUPS) {}

  /** Adds a partition; the batch it completes, if it does. */
  add(counted: Counted): Counted[] | undefined {
    this.waiting.push(counted);
    this.groups += counted.groups;
    return this.groups >= this.groupsPerBatch ? this.take() : undefined;
  }

  /** The partitions waiting, as a batch (undefined when none wait). */
  take(): Counted[] | undefined {
    if (this.waiting.length === 0) return undefined;
    const batch = this.waiting;
    this.waiting = [];
    this.groups = 0;
    return batch;
  }
}

/**
 * Partitions in batches of at least `groupsPerBatch` groups (the last one smaller).
 *
 * @example
 * for (const batch of batchesOf(counted)) tables.push(partitionsMetrics(batch));
 */
export function batchesOf<Counted extends { groups: number }>(all: readonly Counted[], groupsPerBatch = METRICS_BATCH_GROUPS): Counted[][] {
  const collector = new MetricsBatches<Counted>(groupsPerBatch);
  const batches: Counted[][] = [];
  for (const counted of all) {
    const batch = collector.add(counted);
    if (batch) batches.push(batch);
  }
  const last = collector.take();
  return last ? [...batches, last] : batches;
}
