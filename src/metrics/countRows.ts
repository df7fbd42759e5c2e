import type { DictionaryColumn } from '../read/ParsedFile.ts';
import { ConsentMetricsError } from '../errors.ts';
import { mergeDictionariesInto, rebaseOffsets } from '../read/columnBuilders.ts';
import { growMemory, MAX_MEMORY, wasmInstance, type WasmGlobal, type WasmMemory } from '../read/wasmModule.ts';

/**
 * The columns one partition's events are counted from, as plain typed arrays, one entry per row.
 *
 * @example
 * const { counts, groups } = countRows(columns, new Uint8Array(columns.rows));
 */
export interface RowColumns {
  /** Rows: the length of every per-row array. */
  rows: number;
  /** The partition's datehour. */
  datehour: string;
  /** Index into EVENT_TYPES. */
  type: Int32Array;
  /** Each row's domain. */
  domain: DictionaryColumn;
  /** Each row's country. */
  country: DictionaryColumn;
  /** User ids' UTF-8 bytes, one after another. */
  userIdBytes: Uint8Array;
  /** Where each row's user id starts in `userIdBytes` (`rows + 1` entries). */
  userIdOffsets: Int32Array;
  /** Each row's user id hash (`hashBytes` of the bytes). */
  userIdHashes: Int32Array;
  /** 1 where the row's user id is null. */
  userIdNull: Uint8Array;
  /** 1 where the event's token gives consent. */
  consent: Uint8Array;
}

export const EMPTY_ROWS: RowColumns = {
  rows: 0, datehour: '', type: new Int32Array(0), domain: { codes: new Int32Array(0), values: [] }, country: { codes: new Int32Array(0), values: [] },
  userIdBytes: new Uint8Array(0), userIdOffsets: new Int32Array(1), userIdHashes: new Int32Array(0), userIdNull: new Uint8Array(0), consent: new Uint8Array(0),
};

/**
 * One partition's counts per group, as plain typed arrays (what a worker thread posts back):
 * for group g and cell c (CELL_NAMES order), `n[g * 6 + c]` events and `users[g * 6 + c]` users.
 *
 * @example
 * const { groups, n } = countRows(columns, duplicates); // n.length === groups * 6
 */
export interface GroupCounts {
  /** The partition's datehour. */
  datehour: string;
  /** Groups, in output order: by domain, then country, nulls first. */
  groups: number;
  /** Each group's domain: a code into `domainValues`, -1 for null. */
  domainCodes: Int32Array;
  /** Each group's country: a code into `countryValues`, -1 for null. */
  countryCodes: Int32Array;
  /** The distinct domains. */
  domainValues: (string | null)[];
  /** The distinct countries. */
  countryValues: (string | null)[];
  /** Events per group and cell. */
  n: Int32Array;
  /** Distinct users whose first pageview in the group falls in the cell. */
  users: Int32Array;
  /** Events counted: the rows not marked as duplicates. */
  kept: number;
}

/**
 * What making metrics reads of a partition's counts: all of {@link GroupCounts} but how many events
 * were kept (the run's report sums those).
 *
 * @example
 * const counted: CountedGroups = countRowParts(datehour, parts, duplicates);
 */
export type CountedGroups = Omit<GroupCounts, 'kept'>;

/**
 * Counts one partition's rows, leaving out those `duplicates` marks (1): for each group (domain x
 * country) and each cell of type x consent, events and distinct users whose first pageview in the
 * group falls in the cell: the pivot, done while counting. The core of `aggregatePartition`, on
 * plain arrays, with no Arrow or Arquero (the job runs it on worker threads, straight from parsed
 * files). The loop runs in WebAssembly (assembly/countGroups.ts); the groups are sorted here.
 *
 * @example
 * const { groups, n, users, kept } = countRows(columns, duplicates);
 */
export function countRows(columns: RowColumns, duplicates: Uint8Array): GroupCounts {
  return countRowParts(columns.datehour, [columns], duplicates);
}

/**
 * One file's columns (or a partition's), as {@link countRowParts} reads them.
 *
 * @example
 * const part: RowPart = withoutIds(expandedFile); // a job's expanded file is one
 */
export type RowPart = Omit<RowColumns, 'datehour'>;

/**
 * {@link countRows} on a partition given as its files' columns, one after another (`duplicates`
 * marks the rows of all of them): they are written straight into the counting loop's memory, their
 * dictionaries merged on the way, with no concatenated copy between.
 *
 * @example
 * const { groups } = countRowParts('2021-01-23-10', files, duplicates);
 */
export function countRowParts(datehour: string, parts: readonly RowPart[], duplicates: Uint8Array): GroupCounts {
  return countParts(datehour, parts, duplicates, false).counts;
}

/**
 * Where each row of a partition went in its counts ({@link countTrackedRows}), for taking rows out of
 * them later without the rows themselves (`withoutRows`).
 *
 * @example
 * const { counts, trail } = countTrackedRows(datehour, parts); // trail.cells.length === rows
 */
export interface RowTrail {
  /** Each row's cell, `group * 6 + cell` in the counts' group order; `~cell` where the row is its user's first pageview in the group. */
  cells: Int32Array;
  /** For a pageview: the next pageview of its user in its group, plus one; 0 when none (and for other events). */
  next: Int32Array;
}

/**
 * {@link countRowParts} of every row (none marked), with each row's trail: a queued run's read task
 * counts its partition at once, and the run takes out the duplicates the dedup tasks find later.
 *
 * @example
 * const { counts, trail } = countTrackedRows('2021-01-23-10', files);
 */
export function countTrackedRows(datehour: string, parts: readonly RowPart[]): { counts: GroupCounts; trail: RowTrail } {
  const rows = parts.reduce((sum, part) => sum + part.rows, 0);
  const { counts, trail } = countParts(datehour, parts, new Uint8Array(rows), true);
  return { counts, trail: trail! };
}

function countParts(datehour: string, parts: readonly RowPart[], duplicates: Uint8Array, track: boolean): { counts: GroupCounts; trail?: RowTrail } {
  const rows = parts.reduce((sum, part) => sum + part.rows, 0);
  const userIdBytes = parts.reduce((sum, part) => sum + part.userIdOffsets[part.rows]! - part.userIdOffsets[0]!, 0);
  // At most one group per (domain, country) pair, and one (group, user) pair per pageview: the tables' sizes.
  const distinct = (column: 'domain' | 'country') => parts.reduce((sum, part) => sum + part[column].values.length, 0) + 1;
  const maxGroups = Math.min(rows, distinct('domain') * distinct('country'));
  const pageviews = parts.reduce((sum, part) => sum + countPageviews(part.type, part.rows), 0);
  const counter = GroupCounter.forThisThread();
  const input = counter.layout(datehour, rows, userIdBytes, maxGroups, pageviews, track);
  // Each part's dictionary codes, remapped into one dictionary per column.
  const codesOf = (column: 'domain' | 'country') => parts.map((part) => ({ codes: part[column].codes.subarray(0, part.rows), values: part[column].values }));
  const domainValues = mergeDictionariesInto(input.domains, codesOf('domain'));
  const countryValues = mergeDictionariesInto(input.countries, codesOf('country'));
  let row = 0;
  let userIdByte = 0;
  for (const part of parts) {
    const count = part.rows;
    input.types.set(part.type.subarray(0, count), row);
    const offsets = part.userIdOffsets;
    rebaseOffsets(input.userIdOffsets, row, offsets, count, userIdByte - offsets[0]!);
    input.userIdHashes.set(part.userIdHashes.subarray(0, count), row);
    input.userIdNulls.set(part.userIdNull.subarray(0, count), row);
    input.consents.set(part.consent.subarray(0, count), row);
    input.userIdBytes.set(part.userIdBytes.subarray(offsets[0]!, offsets[count]!), userIdByte);
    row += count;
    userIdByte += offsets[count]! - offsets[0]!;
  }
  input.userIdOffsets[rows] = userIdByte;
  input.duplicates.set(duplicates.subarray(0, rows));
  const { groups, groupDomains, groupCountries, counts, users, kept, rowCells, rowNext } = counter.count(rows, track);

  // Groups in output order (domain, then country, nulls first), so the metrics' sort finds them sorted.
  const order = sortedGroups(groupDomains, groupCountries, domainValues, countryValues);
  const counted: GroupCounts = {
    datehour, groups, domainCodes: gather(groupDomains, order, 1), countryCodes: gather(groupCountries, order, 1),
    domainValues, countryValues, n: gather(counts, order, 6), users: gather(users, order, 6), kept,
  };
  return { counts: counted, trail: track ? { cells: cellsInOrder(rowCells, order), next: rowNext.slice() } : undefined };
}

/** Row cells of groups in first-seen order (`~cell` kept as such) moved to the groups' places in `order`. */
function cellsInOrder(cells: Int32Array, order: Int32Array): Int32Array {
  const placeOf = new Int32Array(order.length);
  order.forEach((group, place) => (placeOf[group] = place));
  const out = new Int32Array(cells.length);
  for (let row = 0; row < cells.length; row++) {
    const cell = cells[row]!;
    const plain = cell < 0 ? ~cell : cell;
    const group = (plain / 6) | 0;
    const moved = placeOf[group]! * 6 + (plain - group * 6);
    out[row] = cell < 0 ? ~moved : moved;
  }
  return out;
}

/** The runs of `width` values of `values` in the order of `order` (a run index per entry), in a new array. */
function gather(values: Int32Array, order: Int32Array, width: number): Int32Array {
  const out = new Int32Array(order.length * width);
  for (let index = 0; index < order.length; index++) {
    for (let i = 0; i < width; i++) out[index * width + i] = values[order[index]! * width + i]!;
  }
  return out;
}

/** Rows whose type code is 0, a pageview: the most (group, user) pairs the user table must hold. */
function countPageviews(types: Int32Array, rows: number): number {
  let pageviews = 0;
  for (let row = 0; row < rows; row++) if (types[row] === 0) pageviews++;
  return pageviews;
}

const EMPTY = new Int32Array(0);


interface CountExports {
  memory: WasmMemory;
  layout(rows: number, bytes: number, maxGroups: number, pageviews: number, track: number): number;
  region(index: number): number;
  count(rows: number, track: number): number;
  kept: WasmGlobal;
}

/** The counting loop's WebAssembly instance, one per thread, its memory reused from partition to partition. */
class GroupCounter {
  private static instance: GroupCounter | undefined;
  private readonly exports = wasmInstance<CountExports>(new URL('./countGroups.wasm', import.meta.url)); // assembly/countGroups.ts

  static forThisThread(): GroupCounter {
    return (GroupCounter.instance ??= new GroupCounter());
  }

  /** Lays out the memory for a partition (with room for the trail when tracking); returns views of the input regions, to fill before `count`. */
  layout(datehour: string, rows: number, userIdBytes: number, maxGroups: number, pageviews: number, track: boolean) {
    const { memory, layout, region } = this.exports;
    const needed = layout(rows, userIdBytes, maxGroups, pageviews, track ? 1 : 0);
    if (needed > MAX_MEMORY) {
      throw new ConsentMetricsError(`partition ${datehour} is too large to count on one thread: ${rows} events need ` +
        `${(needed / 2 ** 30).toFixed(1)} GiB of WebAssembly memory, which holds 4 GiB; split its hour into smaller partitions`);
    }
    growMemory(memory, needed);
    const buffer = memory.buffer;
    const int32s = (index: number, length = rows) => new Int32Array(buffer, region(index), length);
    const bytes = (index: number, length = rows) => new Uint8Array(buffer, region(index), length);
    return {
      types: int32s(0), domains: int32s(1), countries: int32s(2), userIdOffsets: int32s(3, rows + 1), userIdHashes: int32s(4),
      userIdNulls: bytes(5), consents: bytes(6), duplicates: bytes(7), userIdBytes: bytes(8, userIdBytes),
    };
  }

  /**
   * Counts the rows laid out; the results are views into the memory, valid until the next layout
   * (`rowCells` and `rowNext` filled only when tracking).
   */
  count(rows: number, track: boolean) {
    const { memory, region, count, kept } = this.exports;
    const groups = count(rows, track ? 1 : 0);
    const int32s = (index: number, length: number) => new Int32Array(memory.buffer, region(index), length);
    return {
      groups, groupDomains: int32s(9, groups), groupCountries: int32s(10, groups), counts: int32s(11, groups * 6), users: int32s(12, groups * 6),
      kept: kept.value as number, rowCells: track ? int32s(13, rows) : EMPTY, rowNext: track ? int32s(14, rows) : EMPTY,
    };
  }
}

/** Group indexes ordered by domain, then country, nulls first (Arquero's `orderby` order: `<` on strings). */
function sortedGroups(groupDomain: Int32Array, groupCountry: Int32Array, domains: readonly (string | null)[], countries: readonly (string | null)[]): Int32Array {
  const domainRank = ranksOf(domains);
  const countryRank = ranksOf(countries);
  const groups = groupDomain.length;
  const width = countries.length + 1;
  const keyOf = (group: number) => (groupDomain[group]! < 0 ? 0 : domainRank[groupDomain[group]!]!) * width
    + (groupCountry[group]! < 0 ? 0 : countryRank[groupCountry[group]!]!);
  // Each group has its own key: key * span + group, sorted as plain numbers (no comparator, 3x faster), gives the order.
  const span = 2 ** Math.ceil(Math.log2(groups + 1));
  if ((domains.length + 1) * width * span > Number.MAX_SAFE_INTEGER) {
    const keys = Float64Array.from(groupDomain, (_, group) => keyOf(group));
    return Int32Array.from(groupDomain, (_, group) => group).sort((a, b) => keys[a]! - keys[b]!);
  }
  const packed = new Float64Array(groups);
  for (let group = 0; group < groups; group++) packed[group] = keyOf(group) * span + group;
  packed.sort();
  return Int32Array.from(packed, (key) => key % span);
}

/** Each value's rank in sorted order, from 1 (0 is left for null). */
function ranksOf(values: readonly (string | null)[]): Int32Array {
  const ranks = new Int32Array(values.length);
  if (values.includes(null)) {
    values.map((_, code) => code).sort((a, b) => compareKeys(values[a]!, values[b]!)).forEach((code, position) => (ranks[code] = position + 1));
    return ranks;
  }
  // The default sort compares strings by UTF-16 code units, as `<` does.
  const rankOf = new Map<string, number>();
  (values as string[]).slice().sort().forEach((value, position) => rankOf.set(value, position + 1));
  values.forEach((value, code) => (ranks[code] = rankOf.get(value!)!));
  return ranks;
}

function compareKeys(a: string | null, b: string | null): number {
  if (a === b) return 0;
  if (a === null) return -1;
  if (b === null) return 1;
  return a < b ? -1 : 1;
}
