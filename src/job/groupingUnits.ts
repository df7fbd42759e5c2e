import { timeOf, type Grouping } from '../metrics/grouping.ts';
import type { CountingFile, PartitionCounts } from './countPartition.ts';

/**
 * The counting units of a run grouped otherwise than the standard metrics (`by`, `grain`, `keys`): each
 * time value's pieces (a day's hours, or one hour), counted together once the run's partitions move on to
 * the next value, so that a day's distinct users are the day's. Partitions come in datehour order, so a
 * time value's partitions come together. The dedup does not change: each partition's losers are its own.
 *
 * @example
 * const units = new GroupingUnits({ grain: 'day' }, (time, files, losers) => countOnAThread(time, files, losers));
 * units.add('2021-01-23-10', files, losersOf10);
 * const counts = await units.counted();
 */
export class GroupingUnits {
  private unit: { time: string; files: CountingFile[]; losers: Promise<Int32Array[][]>[] } | undefined;
  private readonly counts: Promise<PartitionCounts>[] = [];

  /** `count` counts a unit: its time value, its pieces in run order, and their losers per lane and piece. */
  constructor(private readonly grouping: Grouping, private readonly count: (time: string, files: CountingFile[], losers: Int32Array[][]) => Promise<PartitionCounts>) {}

  /** A partition's pieces and their losers (per lane, per piece), once its dedup gives them. */
  add(datehour: string, files: readonly CountingFile[], losers: Promise<Int32Array[][]>): void {
    const time = timeOf(datehour, this.grouping.grain);
    if (this.unit && this.unit.time !== time) this.close();
    this.unit ??= { time, files: [], losers: [] };
    this.unit.files.push(...files);
    this.unit.losers.push(losers);
  }

  /** Every unit's counts, in time order, the last unit counted now. */
  async counted(): Promise<PartitionCounts[]> {
    if (this.unit) this.close();
    return Promise.all(this.counts);
  }

  private close(): void {
    const { time, files, losers } = this.unit!;
    this.unit = undefined;
    const counted = Promise.all(losers).then((ofPartitions) => {
      // Per lane, the pieces of every partition one after another, as the unit's files are.
      const lanes = ofPartitions[0]?.length ?? 0;
      return this.count(time, files, Array.from({ length: lanes }, (_, lane) => ofPartitions.flatMap((ofPartition) => ofPartition[lane]!)));
    });
    counted.catch(() => {}); // awaited by counted(); a failure before that must not count as unhandled
    this.counts.push(counted);
  }
}

/**
 * The rows a partition's dedup lanes found losing (each row is in one lane's list once).
 *
 * @example
 * const kept = rows - lostRows(losers);
 */
export function lostRows(losers: readonly (readonly Int32Array[])[]): number {
  return losers.reduce((sum, lane) => sum + lane.reduce((inLane, rowsLost) => inLane + rowsLost.length, 0), 0);
}
