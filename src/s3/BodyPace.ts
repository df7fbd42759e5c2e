import type { S3Client } from '@aws-sdk/client-s3';

/** Gaps a pace remembers, and how often it works out its threshold again. */
const WINDOW = 256;
const RECOMPUTE_EVERY = 32;
/** How many typical gaps of silence make a body stalled. */
const TYPICAL_GAPS = 20;

/**
 * The pace of a client's bodies, read and sent: the gaps between their chunks, as the run meets them.
 * A body silent for much longer than the typical gap (`TYPICAL_GAPS` times the median of recent gaps,
 * and never less than `floor`) is taken as stalled: its request is sent again on another connection
 * (`readObject` for GETs, the client's request handler for uploads), which AWS advises for S3's
 * latency tail. The floor keeps a body that moves, however slowly, from ever counting as stalled
 * while it pauses less than that.
 *
 * @example
 * const pace = paceOf(client);
 * pace.record(gapMilliseconds);
 * if (silentFor > pace.stallAfter()) hedge();
 */
export class BodyPace {
  private readonly gaps = new Float64Array(WINDOW);
  private recorded = 0;
  private threshold: number;

  /** @param floor milliseconds of silence below which a body is never taken as stalled */
  constructor(readonly floor: number) {
    this.threshold = floor;
  }

  /** Records the gap (milliseconds) between two chunks of a body. */
  record(gap: number): void {
    this.gaps[this.recorded++ % WINDOW] = gap;
    if (this.recorded % RECOMPUTE_EVERY === 0) {
      const recent = this.gaps.slice(0, Math.min(this.recorded, WINDOW)).sort();
      this.threshold = Math.max(this.floor, TYPICAL_GAPS * recent[recent.length >> 1]!);
    }
  }

  /** Milliseconds of silence after which a body counts as stalled. */
  stallAfter(): number {
    return this.threshold;
  }
}

const paces = new WeakMap<S3Client, BodyPace>();

/** The pace of `client`'s bodies: the one `createS3Client` gave it, or a new one with `floor` for another client. */
export function paceOf(client: S3Client, floor = 2_000): BodyPace {
  let pace = paces.get(client);
  if (!pace) paces.set(client, (pace = new BodyPace(floor)));
  return pace;
}

/** Gives `client` its pace (createS3Client does, with the `stallTimeout` it was given). */
export function setPace(client: S3Client, pace: BodyPace): void {
  paces.set(client, pace);
}
