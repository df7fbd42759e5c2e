import pMap, { pMapIterable } from 'p-map';
import { NO_HOUR } from '../metrics/IdSet.ts';
import { hashBytes } from '../read/hashBytes.ts';

/** The seed of the second hash kept beside each id (the first is `hashBytes`' seed 0). */
export const SECOND_HASH_SEED = 0x9747b28c;

/** One partition's ids as a column: bytes one after another, `rows + 1` offsets. */
export interface IdColumn {
  bytes: Uint8Array;
  offsets: Int32Array;
}

/** Ids being deduplicated: a partition's, one after another. */
export interface IdsToLookUp {
  rows: number;
  idBytes: Uint8Array;
  idOffsets: Int32Array;
  idHashes: Int32Array;
}

/**
 * One earlier partition's ids as two 32-bit hashes each, and which of its rows were not kept.
 *
 * @example
 * const hashes: EarlierHashes = { hashes, secondHashes, duplicates: Uint8Array.of(0, 1) };
 */
export interface EarlierHashes {
  /** Each id's hash, seed 0 (`hashBytes`). */
  hashes: Int32Array;
  /** Each id's hash, seed {@link SECOND_HASH_SEED}. */
  secondHashes: Int32Array;
  /** Rows marked 1 were not kept (duplicates); absent: every row counts (a duplicate's id is a kept id's). */
  duplicates?: Uint8Array;
}

/**
 * The kept ids of an incremental run's earlier partitions (those it reuses), as two 32-bit hashes
 * each, never as bytes: a partition's id bytes are fetched from the state only when an id being
 * deduplicated matches one of its ids on both hashes, and then compared byte for byte, so answers are
 * exact. The earlier partitions' hashes are streamed past a small table of the ids looked up (read in
 * order, they cost ~2 ns an id, where a table of every earlier id would cost a cache miss each to build).
 * Hashes are held in memory up to `holdBytes` (~9 bytes an id), latest partitions first; the others are
 * fetched again at each lookup, a few at a time, and let go.
 *
 * @example
 * const earlier = new EarlierIds(64 * 2 ** 20);
 * earlier.add(0, hoursSince1970('2021-01-23-10'), rows, () => loadHashes(0));
 * await earlier.hold(4);
 * const hours = await earlier.latestHours(partitionIds, (index) => loadIds(index)); // then markDuplicates(..., { earlierHours: hours })
 */
export class EarlierIds {
  private readonly partitions: { index: number; hour: number; bytes: number; load: () => Promise<EarlierHashes>; held?: EarlierHashes }[] = [];
  /** Bytes of hashes fetched again for lookups (those not held), as decoded. */
  fetchedAgain = 0;

  constructor(private readonly holdBytes = Infinity) {}

  /** Adds partition `index` of hour `hour` (hours since 1970), of `rows` ids, whose hashes `load` fetches. */
  add(index: number, hour: number, rows: number, load: () => Promise<EarlierHashes>, withDuplicates = true): void {
    this.partitions.push({ index, hour, bytes: rows * (withDuplicates ? 9 : 8), load });
  }

  /** Fetches and holds the latest partitions' hashes that fit in `holdBytes`, `concurrency` at a time. */
  async hold(concurrency: number): Promise<void> {
    let room = this.holdBytes;
    const held = [...this.partitions].sort((a, b) => b.hour - a.hour).filter((partition) => (room -= partition.bytes) >= 0);
    await pMap(held, async (partition) => void (partition.held = await partition.load()), { concurrency });
  }

  /**
   * For each row of `ids`, the hour of the latest kept copy of its id among these partitions, or
   * `NO_HOUR`; undefined when there are no earlier partitions. `loadIds` fetches a partition's id bytes,
   * for those with a match on both hashes.
   */
  async latestHours(ids: IdsToLookUp, loadIds: (index: number) => Promise<IdColumn>): Promise<Int32Array | undefined> {
    if (this.partitions.length === 0) return undefined;
    const lookUp = new RowsByHash(ids);
    // Held hashes at once; the others fetched a few at a time, each let go once matched.
    const hashesOf = pMapIterable(this.partitions, async (partition) => {
      if (partition.held) return partition.held;
      const loaded = await partition.load();
      this.fetchedAgain += loaded.hashes.byteLength + loaded.secondHashes.byteLength + (loaded.duplicates?.byteLength ?? 0);
      return loaded;
    }, { concurrency: ID_FETCHES, backpressure: ID_FETCHES });
    const candidates: number[][] = [];
    for await (const { hashes, secondHashes, duplicates } of hashesOf) candidates.push(lookUp.matches(hashes, secondHashes, duplicates));
    const hours = new Int32Array(ids.rows).fill(NO_HOUR);
    const matched = [...candidates.entries()].filter(([, found]) => found.length > 0);
    // The matched partitions' ids fetched a few at once, compared in order as they come.
    const columns = pMapIterable(matched, ([position]) => loadIds(this.partitions[position]!.index), { concurrency: ID_FETCHES });
    let next = 0;
    for await (const column of columns) {
      const [position, found] = matched[next++]!;
      const { hour } = this.partitions[position]!;
      for (let at = 0; at < found.length; at += 2) {
        const [earlierRow, row] = [found[at]!, found[at + 1]!];
        const same = equalBytes(column.bytes, column.offsets[earlierRow]!, column.offsets[earlierRow + 1]!, ids.idBytes, ids.idOffsets[row]!, ids.idOffsets[row + 1]!);
        if (same && hour > hours[row]!) hours[row] = hour;
      }
    }
    return hours;
  }
}

/** The rows of some ids by their first hash (chained), and their second hashes, made when first needed. */
class RowsByHash {
  /** A bit per value of a hash's top bits, set for the rows' hashes: most lookups end here. */
  private readonly present = new Uint32Array((1 << (32 - PRESENT_SHIFT)) / 32);
  private readonly heads: Int32Array;
  private readonly next: Int32Array;
  private readonly mask: number;
  private readonly second: Int32Array;
  private readonly hasSecond: Uint8Array;

  constructor(private readonly ids: IdsToLookUp) {
    let size = 1024;
    while (size < ids.rows * 2) size *= 2;
    this.mask = size - 1;
    this.heads = new Int32Array(size);
    this.next = new Int32Array(ids.rows);
    this.second = new Int32Array(ids.rows);
    this.hasSecond = new Uint8Array(ids.rows);
    for (let row = 0; row < ids.rows; row++) {
      const bit = ids.idHashes[row]! >>> PRESENT_SHIFT;
      this.present[bit >>> 5]! |= 1 << (bit & 31);
      const slot = ids.idHashes[row]! & this.mask;
      this.next[row] = this.heads[slot]!;
      this.heads[slot] = row + 1;
    }
  }

  /** Pairs [earlier row, row] whose two hashes are equal, for the earlier rows not marked in `duplicates`. */
  matches(hashes: Int32Array, secondHashes: Int32Array, duplicates: Uint8Array | undefined): number[] {
    const found: number[] = [];
    const candidates = firstHashMatches(this.present, this.heads, this.next, this.mask, this.ids.idHashes, hashes);
    for (let at = 0; at < candidates.length; at += 2) {
      const [earlierRow, row] = [candidates[at]!, candidates[at + 1]!];
      if (duplicates !== undefined && duplicates[earlierRow] === 1) continue;
      if (this.secondHash(row) === secondHashes[earlierRow]) found.push(earlierRow, row);
    }
    return found;
  }

  private secondHash(row: number): number {
    if (!this.hasSecond[row]) {
      this.second[row] = hashBytes(this.ids.idBytes, this.ids.idOffsets[row]!, this.ids.idOffsets[row + 1]!, SECOND_HASH_SEED);
      this.hasSecond[row] = 1;
    }
    return this.second[row]!;
  }
}

/** Partitions' id bytes fetched at once to confirm matches. */
const ID_FETCHES = 4;

/** The bits of a hash that index `present`: its top 20, a 128 KiB bitmap. */
const PRESENT_SHIFT = 12;

/**
 * Pairs [earlier row, row] whose first hashes are equal: the earlier hashes read in order, each looked
 * up in the chained table of the rows (a loop of its own, so V8 optimizes it whole: ~2 ns an id).
 */
function firstHashMatches(present: Uint32Array, heads: Int32Array, next: Int32Array, mask: number, idHashes: Int32Array, hashes: Int32Array): number[] {
  const pairs: number[] = [];
  for (let earlierRow = 0; earlierRow < hashes.length; earlierRow++) {
    const hash = hashes[earlierRow]!;
    const bit = hash >>> PRESENT_SHIFT;
    if ((present[bit >>> 5]! & (1 << (bit & 31))) === 0) continue; // most earlier ids: a miss in a table that stays in cache
    for (let row = heads[hash & mask]! - 1; row >= 0; row = next[row]! - 1) if (idHashes[row] === hash) pairs.push(earlierRow, row);
  }
  return pairs;
}

function equalBytes(a: Uint8Array, aStart: number, aEnd: number, b: Uint8Array, bStart: number, bEnd: number): boolean {
  if (aEnd - aStart !== bEnd - bStart) return false;
  for (let i = 0; i < aEnd - aStart; i++) if (a[aStart + i] !== b[bStart + i]) return false;
  return true;
}
