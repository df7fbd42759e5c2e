import { grow, rehashPairs } from '../read/columnBuilders.ts';

/**
 * Ids seen so far in a run: open addressing over typed arrays, each entry pointing at its id's bytes
 * in the id column it came from (a partition's Arrow buffer, kept for the run), compared byte by byte
 * on a hash match. Nothing is copied; about 16 bytes an id plus the id bytes themselves, against ~150
 * for a Set of strings.
 *
 * @example
 * const seen = new IdSet();
 * const column = seen.keep(idBytes, idOffsets); // a partition's id column
 * seen.addIfAbsent(column, 0, idHash[0]); // true the first time an id is seen
 */
export class IdSet {
  private slots: Int32Array = new Int32Array(1 << 11); // [hash, entry + 1] pairs
  private columnOf: Int32Array = new Int32Array(1024);
  private rowOf: Int32Array = new Int32Array(1024);
  private readonly columns: { bytes: Uint8Array; offsets: Int32Array }[] = [];
  /** Distinct ids in the set. */
  size = 0;

  /** Registers an id column (bytes and offsets) whose rows `addIfAbsent` will refer to; returns its index. */
  keep(bytes: Uint8Array, offsets: Int32Array): number {
    return this.columns.push({ bytes, offsets }) - 1;
  }

  /** Adds row `row` of kept column `column` unless an equal id is in the set; true when it was new. */
  addIfAbsent(column: number, row: number, hash: number): boolean {
    const slots = this.slots;
    const mask = (slots.length >> 1) - 1;
    let slot = hash & mask;
    for (; ; slot = (slot + 1) & mask) {
      const entry = slots[slot * 2 + 1]! - 1;
      if (entry < 0) break;
      if (slots[slot * 2] === hash && this.equals(entry, column, row)) return false;
    }
    const entry = this.size++;
    if (entry === this.rowOf.length) {
      this.rowOf = grow(this.rowOf);
      this.columnOf = grow(this.columnOf);
    }
    this.columnOf[entry] = column;
    this.rowOf[entry] = row;
    slots[slot * 2] = hash;
    slots[slot * 2 + 1] = entry + 1;
    if (this.size * 2 > slots.length >> 1) this.rehash();
    return true;
  }

  private equals(entry: number, column: number, row: number): boolean {
    const a = this.columns[this.columnOf[entry]!]!;
    const b = this.columns[column]!;
    const aStart = a.offsets[this.rowOf[entry]!]!;
    const bStart = b.offsets[row]!;
    const length = b.offsets[row + 1]! - bStart;
    if (a.offsets[this.rowOf[entry]! + 1]! - aStart !== length) return false;
    for (let i = 0; i < length; i++) if (a.bytes[aStart + i] !== b.bytes[bStart + i]) return false;
    return true;
  }

  private rehash(): void {
    this.slots = rehashPairs(this.slots);
  }
}
