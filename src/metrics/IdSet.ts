import { rehashPairs, zeroedInt32 } from '../read/columnBuilders.ts';

/**
 * Ids seen so far in a run: open addressing over typed arrays of [hash, row + 1] pairs, where a row
 * numbers the ids of every column kept, one column after another; each id's bytes stay in the column
 * it came from (a file's or partition's id buffer, kept for the run) and are compared byte by byte
 * on a hash match. Nothing is copied: 8-16 bytes an id in the table plus the id bytes themselves,
 * against ~150 for a Set of strings. The table doubles when two thirds full (at 20M ids, half full would
 * take 512 MB where this takes 256 MB).
 *
 * @example
 * const seen = new IdSet();
 * const column = seen.keep(idBytes, idOffsets); // a partition's id column
 * seen.addIfAbsent(column, 0, idHash[0]); // true the first time an id is seen
 */
export class IdSet {
  private slots: Int32Array = zeroedInt32(1 << 11); // [hash, row + 1] pairs
  private readonly columns: { bytes: Uint8Array; offsets: Int32Array }[] = [];
  /** The run row of each kept column's first id. */
  private readonly columnStarts: number[] = [];
  private rows = 0;
  /** Distinct ids in the set. */
  size = 0;

  /** Ids the set holds before it grows. */
  get capacity(): number {
    return Math.floor(this.slots.length / 3);
  }

  /**
   * Makes room for `ids` ids in all, so that the set reaches them without growing again: one rehash
   * now instead of one per doubling on the way (each rehash rewrites every id so far into fresh
   * memory). Never shrinks.
   */
  reserve(ids: number): void {
    let length = this.slots.length;
    while (ids * 3 > length) length *= 2; // ids <= 2/3 of the slots (length / 2)
    if (length > this.slots.length) this.slots = rehashPairs(this.slots, length / this.slots.length);
  }

  /** Registers an id column (bytes and offsets) whose rows `addIfAbsent` will refer to; returns its index. */
  keep(bytes: Uint8Array, offsets: Int32Array): number {
    this.columnStarts.push(this.rows);
    this.rows += offsets.length - 1;
    return this.columns.push({ bytes, offsets }) - 1;
  }

  /** Adds row `row` of kept column `column` unless an equal id is in the set; true when it was new. */
  addIfAbsent(column: number, row: number, hash: number): boolean {
    const slots = this.slots;
    const mask = (slots.length >> 1) - 1;
    let slot = hash & mask;
    for (; ; slot = (slot + 1) & mask) {
      const stored = slots[slot * 2 + 1]! - 1;
      if (stored < 0) break;
      if (slots[slot * 2] === hash && this.equals(stored, column, row)) return false;
    }
    slots[slot * 2] = hash;
    slots[slot * 2 + 1] = this.columnStarts[column]! + row + 1;
    if (++this.size * 3 > slots.length) this.slots = rehashPairs(slots, 2);
    return true;
  }

  /**
   * Adds rows `[0, rows)` of kept column `column`, whose hashes are `hashes`, writing 1 to `marks` from
   * `at` for each row whose id is already in the set. The first slots of 64 rows are read before
   * they are probed: the table is far larger than the caches, and reads that do not wait on each
   * other overlap their misses (the dedup took 0.30-0.35 s of a 2M-event run without, 0.16-0.23 s with).
   */
  addColumn(column: number, hashes: Int32Array, rows: number, marks: Uint8Array, at: number): void {
    for (let begin = 0; begin < rows; begin += READ_AHEAD) {
      const end = Math.min(rows, begin + READ_AHEAD);
      touchSlots(this.slots, hashes, begin, end);
      addRows(this, column, hashes, begin, end, marks, at);
    }
  }

  /** Whether the id at run row `stored` has the bytes of row `row` of column `column`. */
  private equals(stored: number, column: number, row: number): boolean {
    const starts = this.columnStarts;
    let low = 0;
    let high = starts.length - 1;
    while (low < high) {
      const middle = (low + high + 1) >> 1;
      if (starts[middle]! <= stored) low = middle;
      else high = middle - 1;
    }
    const a = this.columns[low]!;
    const aRow = stored - starts[low]!;
    const b = this.columns[column]!;
    const aStart = a.offsets[aRow]!;
    const bStart = b.offsets[row]!;
    const length = b.offsets[row + 1]! - bStart;
    if (a.offsets[aRow + 1]! - aStart !== length) return false;
    for (let i = 0; i < length; i++) if (a.bytes[aStart + i] !== b.bytes[bStart + i]) return false;
    return true;
  }
}

/** Rows whose slots are read before any is probed. */
const READ_AHEAD = 64;
let touched = 0;

/** Reads the first slot of each row in `[begin, end)` (the sum only keeps the reads from being dropped). */
function touchSlots(slots: Int32Array, hashes: Int32Array, begin: number, end: number): void {
  const mask = (slots.length >> 1) - 1;
  let sum = 0;
  for (let row = begin; row < end; row++) sum += slots[((hashes[row]! & mask) << 1) + 1]!;
  touched ^= sum;
}

/** Rows `[begin, end)` added (a loop of its own, see `remapInto`). */
function addRows(set: IdSet, column: number, hashes: Int32Array, begin: number, end: number, marks: Uint8Array, at: number): void {
  for (let row = begin; row < end; row++) if (!set.addIfAbsent(column, row, hashes[row]!)) marks[at + row] = 1;
}
