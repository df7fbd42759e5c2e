import type { EarlierIds } from '../metrics/IdSet.ts';
import { rehashPairs, zeroedInt32 } from '../read/columnBuilders.ts';
import { hashBytes } from '../read/hashBytes.ts';

/** The seed of the second hash kept beside each id (the first is `hashBytes`' seed 0). */
export const SECOND_HASH_SEED = 0x9747b28c;

/** One partition's ids as a column: bytes one after another, `rows + 1` offsets. */
export interface IdColumn {
  bytes: Uint8Array;
  offsets: Int32Array;
}

/**
 * The kept ids of an incremental run's earlier partitions, held as two 32-bit hashes each (~20 bytes
 * an id with the table), not as bytes: a partition's id bytes are fetched from the state only when an
 * id being deduplicated matches one of its ids on both hashes, and then compared byte for byte, so the
 * answer is exact. Call `partitionsToLoad` for a partition's ids before deduplicating it, and give
 * those partitions' bytes with `setBytes`.
 *
 * @example
 * const kept = new KeptIds();
 * kept.add(0, hour, hashes, secondHashes, marks);
 * for (const index of kept.partitionsToLoad(files)) kept.setBytes(index, await loadIds(index));
 * markDuplicates(files, seenIds, { hour, earlier: kept });
 */
export class KeptIds implements EarlierIds {
  private slots: Int32Array = zeroedInt32(1 << 11); // [hash, entry + 1] pairs
  private secondHashes = new Int32Array(1024);
  private hours = new Int32Array(1024);
  private partitions = new Int32Array(1024);
  private rows = new Int32Array(1024);
  private entries = 0;
  private readonly bytes = new Map<number, IdColumn>();

  /** Ids held. */
  get size(): number {
    return this.entries;
  }

  /**
   * Adds partition `partition`'s kept ids (rows not marked 1 in `duplicates`, when given), of hour
   * `hour` (hours since 1970), by their two hashes.
   */
  add(partition: number, hour: number, hashes: Int32Array, secondHashes: Int32Array, duplicates?: Uint8Array): void {
    for (let row = 0; row < hashes.length; row++) {
      if (duplicates?.[row] === 1) continue;
      const entry = this.entries++;
      if (entry === this.rows.length) this.grow();
      this.secondHashes[entry] = secondHashes[row]!;
      this.hours[entry] = hour;
      this.partitions[entry] = partition;
      this.rows[entry] = row;
      const mask = (this.slots.length >> 1) - 1;
      let slot = hashes[row]! & mask;
      while (this.slots[slot * 2 + 1] !== 0) slot = (slot + 1) & mask;
      this.slots[slot * 2] = hashes[row]!;
      this.slots[slot * 2 + 1] = entry + 1;
      if (this.entries * 3 > this.slots.length) this.slots = rehashPairs(this.slots, 2);
    }
  }

  /** The partitions whose id bytes `latestHour` will need for `columns`' ids: those matching on both hashes and not yet given. */
  partitionsToLoad(columns: readonly { rows: number; idBytes: Uint8Array; idOffsets: Int32Array; idHashes: Int32Array }[]): number[] {
    const needed = new Set<number>();
    for (const { rows, idBytes, idOffsets, idHashes } of columns) {
      for (let row = 0; row < rows; row++) {
        this.forEachMatch(idBytes, idOffsets[row]!, idOffsets[row + 1]!, idHashes[row]!, (entry) => {
          if (!this.bytes.has(this.partitions[entry]!)) needed.add(this.partitions[entry]!);
        });
      }
    }
    return [...needed].sort((a, b) => a - b);
  }

  /** Gives partition `partition`'s id bytes. */
  setBytes(partition: number, column: IdColumn): void {
    this.bytes.set(partition, column);
  }

  latestHour(bytes: Uint8Array, start: number, end: number, hash: number): number | undefined {
    let latest: number | undefined;
    this.forEachMatch(bytes, start, end, hash, (entry) => {
      const column = this.bytes.get(this.partitions[entry]!);
      if (!column) throw new Error(`KeptIds: the ids of partition ${this.partitions[entry]} were not loaded (partitionsToLoad first)`);
      const row = this.rows[entry]!;
      if (equalBytes(column.bytes, column.offsets[row]!, column.offsets[row + 1]!, bytes, start, end) && (latest === undefined || this.hours[entry]! > latest)) {
        latest = this.hours[entry]!;
      }
    });
    return latest;
  }

  /** Calls `found` with each entry whose two hashes equal those of `bytes[start, end)`. */
  private forEachMatch(bytes: Uint8Array, start: number, end: number, hash: number, found: (entry: number) => void): void {
    const slots = this.slots;
    const mask = (slots.length >> 1) - 1;
    let second: number | undefined;
    for (let slot = hash & mask; ; slot = (slot + 1) & mask) {
      const entry = slots[slot * 2 + 1]! - 1;
      if (entry < 0) return;
      if (slots[slot * 2] !== hash) continue;
      second ??= hashBytes(bytes, start, end, SECOND_HASH_SEED);
      if (this.secondHashes[entry] === second) found(entry);
    }
  }

  private grow(): void {
    const grown = (array: Int32Array) => {
      const bigger = new Int32Array(array.length * 2);
      bigger.set(array);
      return bigger;
    };
    this.secondHashes = grown(this.secondHashes);
    this.hours = grown(this.hours);
    this.partitions = grown(this.partitions);
    this.rows = grown(this.rows);
  }
}

function equalBytes(a: Uint8Array, aStart: number, aEnd: number, b: Uint8Array, bStart: number, bEnd: number): boolean {
  if (aEnd - aStart !== bEnd - bStart) return false;
  for (let i = 0; i < aEnd - aStart; i++) if (a[aStart + i] !== b[bStart + i]) return false;
  return true;
}
