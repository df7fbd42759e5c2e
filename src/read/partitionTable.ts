import { Int32, Table, makeData, makeVector } from 'apache-arrow';
import { StringDictionary } from './columnBuilders.ts';
import { dictionaryVector, utf8Vector } from './dictionaryVector.ts';
import type { DictionaryColumn, ParsedFile } from './FileParser.ts';
import { EVENT_TYPES } from './parseEventJson.ts';

/**
 * One partition's events as an Arrow table, from its files parsed in key order; rows in file key then
 * line order (the order that decides which duplicate wins). Columns:
 *
 * | column | type | |
 * |---|---|---|
 * | `id` | utf8 | event id |
 * | `datehour` | dictionary utf8 | from the partition folder |
 * | `domain`, `type`, `country`, `token` | dictionary utf8 | `token` is the raw JSON string |
 * | `user_id` | utf8 | |
 * | `file` | dictionary utf8 | where the line came from |
 * | `line` | int32 | its 1-based line number |
 * | `id_hash`, `user_id_hash` | int32 | FNV-1a of the UTF-8 bytes, for deduplication and distinct users |
 *
 * Ids and user ids go in as the parser's bytes and offsets, without making strings.
 *
 * @example
 * const table = partitionTable('2021-01-23-10', [parser.finish()]);
 * table.getChild('domain')?.get(0);
 */
export function partitionTable(datehour: string, files: readonly ParsedFile[]): Table {
  const rows = files.reduce((sum, file) => sum + file.rows, 0);
  const int32 = (values: Int32Array) => makeVector(makeData({ type: new Int32(), length: values.length, data: values }));
  return new Table({
    id: utf8Vector(concatBytes(files.map((f) => f.idBytes)), concatOffsets(files.map((f) => f.idOffsets))),
    datehour: dictionaryVector(new Int32Array(rows), [datehour]),
    domain: mergeDictionaries(files.map((f) => f.domain)),
    type: dictionaryVector(concatInt32(files.map((f) => f.type)), EVENT_TYPES),
    user_id: utf8Vector(
      concatBytes(files.map((f) => f.userIdBytes)), concatOffsets(files.map((f) => f.userIdOffsets)), concatBytes(files.map((f) => f.userIdNull)),
    ),
    country: mergeDictionaries(files.map((f) => f.country)),
    token: mergeDictionaries(files.map((f) => f.token)),
    file: dictionaryVector(concatInt32(files.map((f, index) => new Int32Array(f.rows).fill(index))), files.map((f) => f.file)),
    line: int32(concatInt32(files.map((f) => f.line))),
    id_hash: int32(concatInt32(files.map((f) => f.idHashes))),
    user_id_hash: int32(concatInt32(files.map((f) => f.userIdHashes))),
  });
}

/** One dictionary column from each file's own dictionary: codes remapped per distinct value, then gathered. */
function mergeDictionaries(columns: readonly DictionaryColumn[]) {
  const merged = new StringDictionary();
  const codes = new Int32Array(columns.reduce((sum, column) => sum + column.codes.length, 0));
  let row = 0;
  for (const column of columns) {
    const remap = Int32Array.from(column.values, (value) => merged.code(value));
    const local = column.codes;
    for (let i = 0; i < local.length; i++) codes[row++] = local[i]! < 0 ? -1 : remap[local[i]!]!;
  }
  return dictionaryVector(codes, merged.values);
}

/** The arrays one after another in a new array of the same type (the array itself when there is one). */
function concat<T extends Int32Array | Uint8Array>(arrays: readonly T[], empty: T): T {
  if (arrays.length === 1) return arrays[0]!;
  const out = new (empty.constructor as new (length: number) => T)(arrays.reduce((sum, array) => sum + array.length, 0));
  let at = 0;
  for (const array of arrays) {
    out.set(array, at);
    at += array.length;
  }
  return out;
}
const concatInt32 = (arrays: readonly Int32Array[]) => concat(arrays, new Int32Array(0));
const concatBytes = (arrays: readonly Uint8Array[]) => concat(arrays, new Uint8Array(0));

/** Offsets of concatenated byte runs: each file's offsets shifted by the bytes before it. */
function concatOffsets(arrays: readonly Int32Array[]): Int32Array {
  if (arrays.length === 1) return arrays[0]!;
  const out = new Int32Array(arrays.reduce((sum, array) => sum + array.length - 1, 0) + 1);
  let at = 0;
  let base = 0;
  for (const array of arrays) {
    for (let i = 1; i < array.length; i++) out[at + i] = array[i]! + base;
    at += array.length - 1;
    base += array[array.length - 1]!;
  }
  return out;
}
