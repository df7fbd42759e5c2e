import { ConsentMetricsError } from '../errors.ts';
import { rehashPairs, zeroedInt32 } from '../read/columnBuilders.ts';

/**
 * In `earlierHours` (`markDuplicates`): no earlier kept copy of the row's id.
 *
 * @example
 * const earlierHours = new Int32Array(rows).fill(NO_HOUR);
 */
export const NO_HOUR = -0x80000000;

/**
 * How an {@link IdSet} decides that an id is a duplicate.
 *
 * @example
 * const ids = new IdSet({ lookback: 24 }); // a copy more than a day after the kept one counts again
 */
export interface IdSetOptions {
  /**
   * Hours: a copy is a duplicate only when the latest kept copy of its id lies in a partition at most
   * this many hours before its own (the same partition always counts); further back, the copy is kept
   * again, as Spark's `dropDuplicatesWithinWatermark` does. Default: unlimited (the first copy wins).
   */
  lookback?: number;
}

/**
 * Throws, quoting the bad value, unless `lookback` is a whole number of hours from 0.
 *
 * @example
 * validateLookback(24);
 */
export function validateLookback(lookback: number): void {
  if (!(Number.isInteger(lookback) && lookback >= 0)) {
    throw new ConsentMetricsError(`lookback must be a whole number of hours from 0, got ${JSON.stringify(lookback)}`);
  }
}

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
  /** Each kept column's hour (hours since 1970), for the lookback. */
  private readonly columnHours: number[] = [];
  /** Columns before this one were forgotten (`forgetBefore`). */
  private forgotten = 0;
  private rows = 0;
  /** Distinct ids in the set. */
  size = 0;
  /** See {@link IdSetOptions.lookback}; undefined: unlimited. */
  readonly lookback: number | undefined;

  constructor({ lookback }: IdSetOptions = {}) {
    if (lookback !== undefined) validateLookback(lookback);
    this.lookback = lookback;
  }

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

  /**
   * Registers an id column (bytes and offsets) whose rows `addIfAbsent` will refer to, from the
   * partition of `hour` (hours since 1970; only a lookback reads it); returns its index. Columns come
   * in partition order.
   */
  keep(bytes: Uint8Array, offsets: Int32Array, hour = 0): number {
    this.columnStarts.push(this.rows);
    this.columnHours.push(hour);
    this.rows += offsets.length - 1;
    return this.columns.push({ bytes, offsets }) - 1;
  }

  /** Adds row `row` of kept column `column` unless an equal id is in the set; true when it was new. */
  addIfAbsent(column: number, row: number, hash: number): boolean {
    const slot = this.find(column, row, hash);
    if (slot >= 0) return false;
    this.insertAt(-slot - 1, hash, this.columnStarts[column]! + row);
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

  /**
   * {@link addColumn} with a lookback or earlier ids: a row is a duplicate when the latest kept copy of
   * its id, here or before the set (`earlierHours[row]`, the hour of a kept copy the set does not hold,
   * or {@link NO_HOUR}: an incremental run's earlier partitions), lies at most `lookback` hours before
   * the column's hour; otherwise it is kept, and becomes its id's latest kept copy.
   */
  addColumnWithin(column: number, hashes: Int32Array, rows: number, marks: Uint8Array, at: number, earlierHours?: Int32Array): void {
    const hour = this.columnHours[column]!;
    const within = (keptHour: number) => this.lookback === undefined || hour - keptHour <= this.lookback;
    for (let row = 0; row < rows; row++) {
      const hash = hashes[row]!;
      const slot = this.find(column, row, hash);
      if (slot >= 0) {
        if (within(this.columnHours[this.columnOf(this.slots[slot * 2 + 1]! - 1)]!)) marks[at + row] = 1;
        else this.slots[slot * 2 + 1] = this.columnStarts[column]! + row + 1; // kept again: the latest copy now
        continue;
      }
      const earlierHour = earlierHours?.[row] ?? NO_HOUR;
      if (earlierHour !== NO_HOUR && within(earlierHour)) {
        marks[at + row] = 1;
        continue;
      }
      this.insertAt(-slot - 1, hash, this.columnStarts[column]! + row);
    }
  }

  /**
   * Lets go of the ids of columns from before `hour` (hours since 1970): with a lookback, ids that no
   * later partition can be a duplicate of. The table is rebuilt when they are at least half of it, so
   * memory follows the ids inside the window, not the whole run.
   */
  forgetBefore(hour: number): void {
    let expired = this.forgotten;
    while (expired < this.columns.length && this.columnHours[expired]! < hour) expired++;
    if (expired === this.forgotten) return;
    const firstLive = this.columnStarts[expired] ?? this.rows;
    const forgottenRows = firstLive - (this.columnStarts[this.forgotten] ?? this.rows);
    if (forgottenRows * 2 < this.rows - firstLive) return; // not worth a rebuild yet
    const old = this.slots;
    let length = 1 << 11;
    this.size = 0;
    for (let slot = 0; slot < old.length; slot += 2) if (old[slot + 1]! - 1 >= firstLive) this.size++;
    while (this.size * 3 > length) length *= 2;
    this.slots = zeroedInt32(length);
    const mask = (length >> 1) - 1;
    for (let slot = 0; slot < old.length; slot += 2) {
      if (old[slot + 1]! - 1 < firstLive) continue;
      let to = old[slot]! & mask;
      while (this.slots[to * 2 + 1] !== 0) to = (to + 1) & mask;
      this.slots[to * 2] = old[slot]!;
      this.slots[to * 2 + 1] = old[slot + 1]!;
    }
    for (let column = this.forgotten; column < expired; column++) this.columns[column] = FORGOTTEN;
    this.forgotten = expired;
  }

  /** The slot holding row `row` of column `column`'s id, or -(the empty slot where it would go) - 1. */
  private find(column: number, row: number, hash: number): number {
    const slots = this.slots;
    const mask = (slots.length >> 1) - 1;
    for (let slot = hash & mask; ; slot = (slot + 1) & mask) {
      const stored = slots[slot * 2 + 1]! - 1;
      if (stored < 0) return -slot - 1;
      if (slots[slot * 2] === hash && this.equals(stored, column, row)) return slot;
    }
  }

  private insertAt(slot: number, hash: number, runRow: number): void {
    this.slots[slot * 2] = hash;
    this.slots[slot * 2 + 1] = runRow + 1;
    if (++this.size * 3 > this.slots.length) this.slots = rehashPairs(this.slots, 2);
  }

  /** The kept column holding run row `stored`. */
  private columnOf(stored: number): number {
    const starts = this.columnStarts;
    let low = 0;
    let high = starts.length - 1;
    while (low < high) {
      const middle = (low + high + 1) >> 1;
      if (starts[middle]! <= stored) low = middle;
      else high = middle - 1;
    }
    return low;
  }

  /** Whether the id at run row `stored` has the bytes of row `row` of column `column`. */
  private equals(stored: number, column: number, row: number): boolean {
    const low = this.columnOf(stored);
    const starts = this.columnStarts;
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

/** What a forgotten column holds. */
const FORGOTTEN = { bytes: new Uint8Array(0), offsets: new Int32Array(1) };

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
