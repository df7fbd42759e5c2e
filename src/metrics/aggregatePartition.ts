import * as aq from 'arquero';
import type { ColumnTable } from 'arquero';
import type { Data, Table } from 'apache-arrow';
import { grow } from '../read/columnBuilders.ts';
import { hashBytes } from '../read/FileParser.ts';
import { EVENT_TYPES } from '../read/parseEventJson.ts';
import { CELL_NAMES, type COUNT_COLUMNS } from './metricsFromCells.ts';
import { IdSet } from './IdSet.ts';

/**
 * Counts one partition's expanded events (the output of `expandToken` on a `readPartitions` table)
 * for `metricsFromCounts`: one row per group with `n_<cell>` events and `users_<cell>` (distinct users
 * whose first pageview in the group falls in the cell) for each cell of type x consent: the pivot,
 * done while counting. Also the groups' keys. Drops ids already in `duplicates`, an {@link IdSet}, or
 * repeated in the partition (first wins, in row order), adding the new ones; or, when `duplicates`
 * is a per-row mask (1 = a duplicate, found elsewhere, as queued runs do), the rows it marks.
 * Typed arrays over dictionary codes and id bytes throughout; Arquero then works on one row per
 * group instead of one per event. (The slow, Arquero-only equivalent is `computeMetrics`.)
 *
 * @example
 * const seenIds = new IdSet();
 * const { counts, groups, kept } = aggregatePartition(expandToken(table), seenIds);
 * metricsFromCounts(counts, groups).print();
 */
export function aggregatePartition(events: Table, duplicates: IdSet | Uint8Array): {
  /** One row per group: `group` and the {@link COUNT_COLUMNS}. */
  counts: ColumnTable;
  /** One row per group: `group`, `datehour`, `domain`, `country`. */
  groups: ColumnTable;
  /** Events counted: the rows whose id was new. */
  kept: number;
} {
  const groupOf = new Map<number, number>();
  const groupDomain: number[] = [];
  const groupCountry: number[] = [];
  let counts: Int32Array = new Int32Array(6 * 1024); // group * 6 + type * 2 + (consent ? 0 : 1)
  let users: Int32Array = new Int32Array(6 * 1024);
  let kept = 0;
  let domainValues: readonly (string | null)[] = [];
  let countryValues: readonly (string | null)[] = [];

  if (events.batches.length > 1) throw new TypeError('aggregatePartition expects one record batch (one partition from readPartitions)');
  const batch = events.batches[0];
  if (batch) {
    const column = (name: string) => {
      const data = batch.getChild(name)?.data[0];
      if (!data) throw new TypeError(`aggregatePartition needs a '${name}' column`);
      return data as Data;
    };
    const id = column('id');
    const domain = column('domain');
    const country = column('country');
    const type = column('type');
    const userId = column('user_id');
    const consent = column('consent');
    domainValues = [...domain.dictionary!];
    countryValues = [...country.dictionary!];
    // Everything the row loop touches, as locals: typed arrays, offsets, bitmaps.
    const rows = batch.numRows;
    const idHash = batch.getChild('id_hash')?.data[0]?.values as Int32Array | undefined;
    const userHash = batch.getChild('user_id_hash')?.data[0]?.values as Int32Array | undefined;
    const typeCodeOf = Int32Array.from({ length: type.dictionary!.length }, (_, code) => EVENT_TYPES.indexOf(type.dictionary!.get(code)));
    const typeCodes = type.values as Int32Array;
    const domainCodes = domain.values as Int32Array;
    const domainNulls = nullBitmap(domain);
    const countryCodes = country.values as Int32Array;
    const countryNulls = nullBitmap(country);
    const idBytes = id.values as Uint8Array;
    const idOffsets = id.valueOffsets as Int32Array;
    const userBytes = userId.values as Uint8Array;
    const userOffsets = userId.valueOffsets as Int32Array;
    const userNulls = nullBitmap(userId);
    const consentBits = consent.values as Uint8Array;
    const [idBase, typeBase, domainBase, countryBase, userBase, consentBase] =
      [id.offset, type.offset, domain.offset, country.offset, userId.offset, consent.offset];
    const seenIds = duplicates instanceof IdSet ? duplicates : null;
    const idColumn = seenIds ? seenIds.keep(idBytes, idOffsets) : -1;
    const countryCount = countryValues.length + 1;
    // Group index by (domain, country) code: a dense array when small enough, else a Map.
    const denseSize = (domainValues.length + 1) * countryCount;
    const dense = denseSize <= 1 << 20 ? new Int32Array(denseSize).fill(-1) : null;
    const usersSeen = new GroupUserSet(rows);

    for (let row = 0; row < rows; row++) {
      if (seenIds) {
        const at = idBase + row;
        if (!seenIds.addIfAbsent(idColumn, at, idHash ? idHash[at]! : hashBytes(idBytes, idOffsets[at]!, idOffsets[at + 1]!))) continue;
      } else if ((duplicates as Uint8Array)[row]) {
        continue;
      }
      kept++;
      const domainAt = domainBase + row;
      const countryAt = countryBase + row;
      const domainCode = domainNulls && !bit(domainNulls, domainAt) ? -1 : domainCodes[domainAt]!;
      const countryCode = countryNulls && !bit(countryNulls, countryAt) ? -1 : countryCodes[countryAt]!;
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
      const typeCode = typeCodeOf[typeCodes[typeBase + row]!]!;
      const cell = group * 6 + typeCode * 2 + (bit(consentBits, consentBase + row) ? 0 : 1);
      counts[cell]!++;
      if (typeCode !== 0) continue;
      // First pageview of this user in this group?
      const userAt = userBase + row;
      const userNull = userNulls !== null && !bit(userNulls, userAt);
      const userHashValue = userNull ? 0 : userHash ? userHash[userAt]! : hashBytes(userBytes, userOffsets[userAt]!, userOffsets[userAt + 1]!);
      if (usersSeen.addIfAbsent(group, userAt, userNull, userHashValue, userBytes, userOffsets)) users[cell]!++;
    }
  }

  // The pivot on type x consent, done while counting: a column per (cell, n or users).
  const groupCount = groupDomain.length;
  const pivoted: Record<string, Int32Array> = { group: Int32Array.from({ length: groupCount }, (_, group) => group) };
  CELL_NAMES.forEach((cell, index) => {
    pivoted[`n_${cell}`] = Int32Array.from({ length: groupCount }, (_, group) => counts[group * 6 + index]!);
    pivoted[`users_${cell}`] = Int32Array.from({ length: groupCount }, (_, group) => users[group * 6 + index]!);
  });
  const datehour = events.numRows > 0 ? String(events.getChild('datehour')!.get(0)) : '';
  const groups = aq.table({
    group: Int32Array.from(groupDomain, (_, group) => group),
    datehour: groupDomain.map(() => datehour),
    domain: groupDomain.map((code) => (code < 0 ? null : domainValues[code]!)),
    country: groupCountry.map((code) => (code < 0 ? null : countryValues[code]!)),
  });
  return { counts: aq.table(pivoted), groups, kept };
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
    this.slots = new Int32Array(capacity * 3);
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

/** The column's validity bitmap, or null when it has no nulls. */
function nullBitmap(data: Data): Uint8Array | null {
  return data.nullCount > 0 && data.nullBitmap ? data.nullBitmap : null;
}

function bit(bits: Uint8Array, at: number): boolean {
  return ((bits[at >> 3]! >> (at & 7)) & 1) === 1;
}
