import { ConsentMetricsError } from '../errors.ts';
import { decodeIdBucket, type IdFile } from './idBuckets.ts';
import { IdSet, NO_HOUR } from './IdSet.ts';

/**
 * Buckets a run's ids are hashed into, by default, for an in-process run: its threads share them out
 * (thread t of T takes a range of about 64/T), so up to 8 threads differ by at most one bucket in 8.
 */
export const DEDUP_BUCKETS = 64;

/**
 * The buckets `[first, end)` lane `lane` of `lanes` takes of `buckets`: contiguous, so a piece's ids
 * for a lane are one range of its ids file.
 *
 * @example
 * bucketsOfLane(1, 3, 64); // [21, 42]
 */
export function bucketsOfLane(lane: number, lanes: number, buckets: number): [number, number] {
  return [Math.floor((lane * buckets) / lanes), Math.floor(((lane + 1) * buckets) / lanes)];
}

/**
 * A piece's ids for one lane: its buckets as `splitIds` wrote them, one after another; or, for the only
 * lane of a run (which takes every bucket), the piece's id columns as parsed, with no split to make or
 * decode.
 *
 * @example
 * const share: IdShare = { rows: 2, idBytes, idOffsets, idHashes };
 */
export type IdShare = Uint8Array | IdFile;

/**
 * One lane of a run's deduplication: the ids of its buckets, from every piece of the run in run order
 * (datehour, file key, line), in an {@link IdSet}. Copies of an id only ever meet in the id's own
 * bucket, so lanes find a run's duplicates apart from each other, each on its own thread, and together
 * find exactly what one set over every id finds.
 *
 * @example
 * const lane = new DedupLane({ lookback: 24 });
 * const losers = lane.take(shares, hoursSince1970('2021-01-23-10')); // per piece, its rows that lose
 */
export class DedupLane {
  private readonly seen: IdSet;

  constructor({ lookback, reserve = 0 }: { lookback?: number; reserve?: number } = {}) {
    this.seen = new IdSet({ lookback });
    if (reserve > 0) this.seen.reserve(reserve);
  }

  /**
   * Takes one partition's pieces, in order: each piece's share of this lane's ids (an empty one for a
   * piece with none). Returns, per piece, the rows whose id an earlier kept copy makes a duplicate
   * (first wins, or within the lookback). `earlierHours`, per piece and row, is the hour of the latest
   * kept copy in partitions this lane does not hold (an incremental run's earlier ones, `NO_HOUR` for
   * none), as `markDuplicates` takes it. A damaged share is an error naming `describe`.
   */
  take(shares: readonly IdShare[], hour: number, describe = 'a share of ids', earlierHours?: readonly (Int32Array | undefined)[]): Int32Array[] {
    const seen = this.seen;
    const add = (bytes: Uint8Array, offsets: Int32Array, hashes: Int32Array, count: number, earlier: Int32Array | undefined) => {
      const column = seen.keep(bytes, offsets, hour);
      const marks = new Uint8Array(count);
      if (seen.lookback === undefined) {
        seen.addColumn(column, hashes, count, marks, 0);
        // A copy of an earlier kept id is a duplicate whatever the set holds (its first copy here is in the set).
        if (earlier) for (let row = 0; row < count; row++) if (earlier[row] !== NO_HOUR) marks[row] = 1;
      } else {
        seen.addColumnWithin(column, hashes, count, marks, 0, earlier);
      }
      return marks;
    };
    const losers = shares.map((share, piece) => {
      const rows: number[] = [];
      const earlier = earlierHours?.[piece];
      if (!(share instanceof Uint8Array)) {
        const marks = add(share.idBytes, share.idOffsets, share.idHashes, share.rows, earlier);
        for (let row = 0; row < marks.length; row++) if (marks[row] === 1) rows.push(row);
        return Int32Array.from(rows);
      }
      for (const ids of bucketsIn(share, describe)) {
        const marks = add(ids.bytes, ids.offsets, ids.hashes, ids.rows.length, earlier && Int32Array.from(ids.rows, (row) => earlier[row]!));
        for (let at = 0; at < marks.length; at++) if (marks[at] === 1) rows.push(ids.rows[at]!);
      }
      return Int32Array.from(rows);
    });
    if (seen.lookback !== undefined) seen.forgetBefore(hour - seen.lookback);
    return losers;
  }
}

/** The buffers of a share, to transfer to its lane's thread. */
export function shareBuffers(share: IdShare): ArrayBuffer[] {
  const arrays = share instanceof Uint8Array ? [share] : [share.idBytes, share.idOffsets, share.idHashes];
  return arrays.map((array) => array.buffer as ArrayBuffer);
}

/** The buckets written one after another in `share` (each at a 4-byte boundary, as `splitIds` writes them). */
function* bucketsIn(share: Uint8Array, describe: string) {
  for (let at = 0; at < share.length;) {
    const ids = decodeIdBucket(share.subarray(at), describe);
    const header = new DataView(share.buffer, share.byteOffset + at, 12);
    const end = at + 12 + ids.rows.length * 4 + header.getInt32(4, true) + header.getInt32(8, true) + ids.bytes.length;
    if (end > share.length) throw new ConsentMetricsError(`work file ${describe} is damaged: a bucket runs past its end`);
    yield ids;
    at = (end + 3) & ~3;
  }
}

/**
 * Marks, over a partition's pieces one after another, the rows the lanes found losing: 1 = a duplicate.
 *
 * @example
 * const duplicates = marksOf(pieceRows, losersByLane);
 */
export function marksOf(pieceRows: readonly number[], losersByLane: readonly (readonly Int32Array[])[]): Uint8Array {
  const starts = pieceRows.reduce<number[]>((at, rows) => (at.push(at[at.length - 1]! + rows), at), [0]);
  const marks = new Uint8Array(starts[starts.length - 1]!);
  for (const losers of losersByLane) {
    losers.forEach((rows, piece) => {
      const start = starts[piece]!;
      for (let at = 0; at < rows.length; at++) marks[start + rows[at]!] = 1;
    });
  }
  return marks;
}
