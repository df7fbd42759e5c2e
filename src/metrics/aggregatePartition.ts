import * as aq from 'arquero';
import type { ColumnTable } from 'arquero';
import type { Data, Table } from 'apache-arrow';
import { hashBytes } from '../read/hashBytes.ts';
import type { DictionaryColumn } from '../read/ParsedFile.ts';
import { EVENT_TYPES } from '../read/parseEventJson.ts';
import { type COUNT_COLUMNS } from './metricsFromCells.ts';
import { CELL_NAMES, CELLS } from './groupCounts.ts';
import { IdSet } from './IdSet.ts';
import { markDuplicates } from './markDuplicates.ts';
import { countRows, EMPTY_ROWS, type CountedGroups, type GroupCounts, type RowColumns } from './countRows.ts';

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
export function aggregatePartition(events: Table, duplicates: IdSet | Uint8Array): PartitionAggregate {
  if (events.batches.length > 1) throw new TypeError('aggregatePartition expects one record batch (one partition from readPartitions)');
  const batch = events.batches[0];
  if (!batch) return groupCountTables(countRows(EMPTY_ROWS, new Uint8Array(0)));
  const column = (name: string) => {
    const data = batch.getChild(name)?.data[0];
    if (!data) throw new TypeError(`aggregatePartition needs a '${name}' column`);
    return data as Data;
  };
  const rows = batch.numRows;
  const id = column('id');
  const idBytes = id.values as Uint8Array;
  const idOffsets = (id.valueOffsets as Int32Array).subarray(id.offset, id.offset + rows + 1);
  const idHash = batch.getChild('id_hash')?.data[0];
  const userId = column('user_id');
  const userIdOffsets = (userId.valueOffsets as Int32Array).subarray(userId.offset, userId.offset + rows + 1);
  const userHash = batch.getChild('user_id_hash')?.data[0];
  const type = column('type');
  const typeCodeOf = Int32Array.from({ length: type.dictionary!.length }, (_, code) => EVENT_TYPES.indexOf(type.dictionary!.get(code)));
  const typeCodes = (type.values as Int32Array).subarray(type.offset, type.offset + rows);
  const columns: RowColumns = {
    rows,
    datehour: rows > 0 ? String(events.getChild('datehour')!.get(0)) : '',
    type: typeCodes.map((code) => typeCodeOf[code]!),
    domain: dictionaryColumn(column('domain')),
    country: dictionaryColumn(column('country')),
    userIdBytes: userId.values as Uint8Array,
    userIdOffsets,
    userIdHashes: userHash
      ? (userHash.values as Int32Array).subarray(userHash.offset, userHash.offset + rows)
      : Int32Array.from({ length: rows }, (_, row) => hashBytes(userId.values as Uint8Array, userIdOffsets[row]!, userIdOffsets[row + 1]!)),
    userIdNull: Uint8Array.from({ length: rows }, (_, row) => (userId.nullCount > 0 && !bit(userId.nullBitmap!, userId.offset + row) ? 1 : 0)),
    consent: bytesOfBits(column('consent'), rows),
  };
  if (duplicates instanceof IdSet) {
    const hashes = idHash
      ? (idHash.values as Int32Array).subarray(idHash.offset, idHash.offset + rows)
      : Int32Array.from({ length: rows }, (_, row) => hashBytes(idBytes, idOffsets[row]!, idOffsets[row + 1]!));
    duplicates = markDuplicates([{ rows, idBytes, idOffsets, idHashes: hashes }], duplicates);
  }
  return groupCountTables(countRows(columns, duplicates));
}

/**
 * A partition's {@link GroupCounts} as the two tables `metricsFromCounts` takes: the pivot on type x
 * consent (a column per cell, `n_<cell>` and `users_<cell>`) and the groups' keys.
 *
 * @example
 * const { counts, groups } = groupCountTables(countRows(columns, duplicates));
 * metricsFromCounts(counts, groups).print();
 */
export function groupCountTables(counts: GroupCounts): PartitionAggregate {
  const group = Int32Array.from({ length: counts.groups }, (_, index) => index);
  return { counts: aq.table({ group, ...pivotedColumns([counts]) }), groups: aq.table({ group, ...groupKeyColumns([counts]) }), kept: counts.kept };
}

/** Each group's `datehour`, `domain` and `country`, as columns: the groups of `parts`, one part after another. */
export function groupKeyColumns(parts: readonly CountedGroups[]): Record<string, (string | null)[]> {
  const datehour: string[] = [];
  const domain: (string | null)[] = [];
  const country: (string | null)[] = [];
  for (const { datehour: hour, groups, domainCodes, countryCodes, domainValues, countryValues } of parts) {
    for (let group = 0; group < groups; group++) {
      datehour.push(hour);
      domain.push(domainCodes[group]! < 0 ? null : domainValues[domainCodes[group]!]!);
      country.push(countryCodes[group]! < 0 ? null : countryValues[countryCodes[group]!]!);
    }
  }
  return { datehour, domain, country };
}

/** The pivot on type x consent as columns, `n_<cell>` and `users_<cell>` per group: the groups of `parts`, one part after another. */
export function pivotedColumns(parts: readonly CountedGroups[]): Record<string, Int32Array> {
  const total = parts.reduce((sum, part) => sum + part.groups, 0);
  const columns: Record<string, Int32Array> = {};
  CELL_NAMES.forEach((cell, index) => {
    const events = (columns[`n_${cell}`] = new Int32Array(total));
    const people = (columns[`users_${cell}`] = new Int32Array(total));
    let at = 0;
    for (const { groups, n, users } of parts) {
      for (let group = 0; group < groups; group++, at++) {
        events[at] = n[group * CELLS + index]!;
        people[at] = users[group * CELLS + index]!;
      }
    }
  });
  return columns;
}

/**
 * What {@link aggregatePartition} gives: counts per group, the groups, events counted.
 *
 * @example
 * const { counts, groups, kept }: PartitionAggregate = aggregatePartition(expanded, seenIds);
 */
export interface PartitionAggregate {
  /** One row per group: `group` and the {@link COUNT_COLUMNS}. */
  counts: ColumnTable;
  /** One row per group: `group`, `datehour`, `domain`, `country`. */
  groups: ColumnTable;
  /** Events counted: the rows not marked as duplicates. */
  kept: number;
}

/** A dictionary-encoded Arrow column's codes (-1 for null) and values. */
function dictionaryColumn(data: Data): DictionaryColumn {
  const codes = (data.values as Int32Array).slice(data.offset, data.offset + data.length);
  if (data.nullCount > 0) for (let row = 0; row < codes.length; row++) if (!bit(data.nullBitmap!, data.offset + row)) codes[row] = -1;
  return { codes, values: [...data.dictionary!] as string[] };
}

/** A bool column's bits as one byte a row (1 = true; null reads as false). */
function bytesOfBits(data: Data, rows: number): Uint8Array {
  const bits = data.values as Uint8Array;
  return Uint8Array.from({ length: rows }, (_, row) => (bit(bits, data.offset + row) && (data.nullCount === 0 || bit(data.nullBitmap!, data.offset + row)) ? 1 : 0));
}

function bit(bits: Uint8Array, at: number): boolean {
  return ((bits[at >> 3]! >> (at & 7)) & 1) === 1;
}
