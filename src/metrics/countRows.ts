import type { DictionaryColumn } from '../read/FileParser.ts';
import { grow, zeroedInt32 } from '../read/columnBuilders.ts';

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
  /** Each row's user id hash (FNV-1a of the bytes). */
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
 * Counts one partition's rows, leaving out those `duplicates` marks (1): for each group (domain x
 * country) and each cell of type x consent, events and distinct users whose first pageview in the
 * group falls in the cell: the pivot, done while counting. The core of `aggregatePartition`, on
 * plain arrays, with no Arrow or Arquero (the job runs it on worker threads, straight from parsed
 * files).
 *
 * @example
 * const { groups, n, users, kept } = countRows(columns, duplicates);
 */
export function countRows(columns: RowColumns, duplicates: Uint8Array): GroupCounts {
  const { rows, type, domain, country, userIdBytes, userIdOffsets, userIdHashes, userIdNull, consent } = columns;
  const groupOf = new Map<number, number>();
  const groupDomain: number[] = [];
  const groupCountry: number[] = [];
  let counts: Int32Array = zeroedInt32(6 * 1024); // group * 6 + type * 2 + (consent ? 0 : 1)
  let users: Int32Array = zeroedInt32(6 * 1024);
  let kept = 0;
  const domainCodes = domain.codes;
  const countryCodes = country.codes;
  const countryCount = country.values.length + 1;
  // Group index by (domain, country) code: a dense array when small enough, else a Map.
  const denseSize = (domain.values.length + 1) * countryCount;
  const dense = denseSize <= 1 << 20 ? new Int32Array(denseSize).fill(-1) : null;
  const usersSeen = new GroupUserSet(rows);

  for (let row = 0; row < rows; row++) {
    if (duplicates[row]) continue;
    kept++;
    const domainCode = domainCodes[row]!;
    const countryCode = countryCodes[row]!;
    const key = (domainCode + 1) * countryCount + countryCode + 1;
    let group = dense ? dense[key]! : groupOf.get(key) ?? -1;
    if (group < 0) {
      group = groupDomain.push(domainCode) - 1;
      groupCountry.push(countryCode);
      if (dense) dense[key] = group;
      else groupOf.set(key, group);
      if (group * 6 + 6 > counts.length) {
        counts = grow(counts);
        users = grow(users);
      }
    }
    const typeCode = type[row]!;
    const cell = group * 6 + typeCode * 2 + (consent[row] ? 0 : 1);
    counts[cell]!++;
    if (typeCode !== 0) continue;
    // First pageview of this user in this group?
    if (usersSeen.addIfAbsent(group, row, userIdNull[row] === 1, userIdHashes[row]!, userIdBytes, userIdOffsets)) users[cell]!++;
  }

  // Groups in output order (domain, then country, nulls first), so the metrics' sort finds them sorted.
  const order = sortedGroups(groupDomain, groupCountry, domain.values, country.values);
  const groups = order.length;
  const sortedCounts = new Int32Array(groups * 6);
  const sortedUsers = new Int32Array(groups * 6);
  for (let index = 0; index < groups; index++) {
    sortedCounts.set(counts.subarray(order[index]! * 6, order[index]! * 6 + 6), index * 6);
    sortedUsers.set(users.subarray(order[index]! * 6, order[index]! * 6 + 6), index * 6);
  }
  return {
    datehour: columns.datehour, groups, domainCodes: order.map((group) => groupDomain[group]!), countryCodes: order.map((group) => groupCountry[group]!),
    domainValues: domain.values, countryValues: country.values, n: sortedCounts, users: sortedUsers, kept,
  };
}

/** Group indexes ordered by domain, then country, nulls first (Arquero's `orderby` order: `<` on strings). */
function sortedGroups(groupDomain: number[], groupCountry: number[], domains: readonly (string | null)[], countries: readonly (string | null)[]): Int32Array {
  const rank = (values: readonly (string | null)[]) => {
    const byValue = values.map((_, code) => code).sort((a, b) => compareKeys(values[a]!, values[b]!));
    const ranks = new Int32Array(values.length);
    byValue.forEach((code, position) => (ranks[code] = position + 1)); // 0 is null
    return ranks;
  };
  const domainRank = rank(domains);
  const countryRank = rank(countries);
  const keyOf = (group: number) => (groupDomain[group]! < 0 ? 0 : domainRank[groupDomain[group]!]!) * (countries.length + 1)
    + (groupCountry[group]! < 0 ? 0 : countryRank[groupCountry[group]!]!);
  const keys = Float64Array.from(groupDomain, (_, group) => keyOf(group));
  return Int32Array.from(groupDomain, (_, group) => group).sort((a, b) => keys[a]! - keys[b]!);
}

function compareKeys(a: string | null, b: string | null): number {
  if (a === b) return 0;
  if (a === null) return -1;
  if (b === null) return 1;
  return a < b ? -1 : 1;
}

/**
 * The (group, user) pairs of one batch seen so far: open addressing over [hash, group, row + 1]
 * triples; equal users are found by comparing bytes in place in the batch's user_id buffer, so no
 * key is copied. A null user id is one user of its own (row stored as -(row + 1)).
 */
class GroupUserSet {
  private readonly slots: Int32Array;
  private readonly mask: number;

  constructor(rows: number) {
    let capacity = 1024;
    while (capacity < rows * 2) capacity *= 2;
    this.slots = zeroedInt32(capacity * 3);
    this.mask = capacity - 1;
  }

  addIfAbsent(group: number, row: number, isNull: boolean, userHash: number, bytes: Uint8Array, offsets: Int32Array): boolean {
    const hash = Math.imul(userHash ^ group, 0x01000193) ^ (isNull ? 1 : 0);
    const slots = this.slots;
    const start = offsets[row]!;
    const length = offsets[row + 1]! - start;
    for (let slot = hash & this.mask; ; slot = (slot + 1) & this.mask) {
      const stored = slots[slot * 3 + 2]!;
      if (stored === 0) {
        slots[slot * 3] = hash;
        slots[slot * 3 + 1] = group;
        slots[slot * 3 + 2] = isNull ? -(row + 1) : row + 1;
        return true;
      }
      if (slots[slot * 3] !== hash || slots[slot * 3 + 1] !== group || stored < 0 !== isNull) continue;
      if (isNull) return false;
      const otherStart = offsets[stored - 1]!;
      if (offsets[stored]! - otherStart !== length) continue;
      let same = true;
      for (let i = 0; i < length; i++) {
        if (bytes[start + i] !== bytes[otherStart + i]) {
          same = false;
          break;
        }
      }
      if (same) return false;
    }
  }
}

