// What counting reads and gives, as plain typed arrays: the columns of a partition's rows, and its
// counts per group.
import type { DictionaryColumn } from '../read/ParsedFile.ts';

/**
 * The cells of type x consent each group is counted in, in type-code order (the count loop's,
 * assembly/countGroups.ts): `CELL_NAMES[type * 2 + (consent ? 0 : 1)]`.
 *
 * @example
 * CELL_NAMES[0 * 2 + 1]; // 'pageviews_without': a pageview without consent
 */
export const CELL_NAMES: readonly string[] = ['pageviews', 'consents_asked', 'consents_given'].flatMap((metric) => [`${metric}_with`, `${metric}_without`]);

/**
 * Counts with no group, only how many rows were kept: a partition counted with others, or broken down.
 *
 * @example
 * emptyCounts('2021-01-23-10', 120).groups; // 0
 */
export function emptyCounts(datehour: string, kept: number): GroupCounts {
  return { datehour, groups: 0, domainCodes: new Int32Array(0), countryCodes: new Int32Array(0), domainValues: [], countryValues: [], n: new Int32Array(0), users: new Int32Array(0), kept };
}

/** Cells per group: the stride of {@link GroupCounts}' `n` and `users`. */
export const CELLS = CELL_NAMES.length;

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
 * for group g and cell c (CELL_NAMES order), `n[g * CELLS + c]` events and `users[g * CELLS + c]` users.
 *
 * @example
 * const { groups, n } = countRows(columns, duplicates); // n.length === groups * CELLS
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
 * One file's columns (or a partition's), as `countRowParts` reads them.
 *
 * @example
 * const part: RowPart = withoutIds(expandedFile); // a job's expanded file is one
 */
export type RowPart = Omit<RowColumns, 'datehour'>;
