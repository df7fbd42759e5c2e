import { Int32, Table, makeData, makeVector } from 'apache-arrow';
import { concatBytes, concatInt32, concatOffsets, mergeDictionaries } from './columnBuilders.ts';
import { dictionaryVector, utf8Vector } from './dictionaryVector.ts';
import type { DictionaryColumn, ParsedFile } from './ParsedFile.ts';
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
 * | `id_hash`, `user_id_hash` | int32 | `hashBytes` (MurmurHash3) of the UTF-8 bytes, for deduplication and distinct users |
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
    domain: dictionaryVectorOf(mergeDictionaries(files.map((f) => f.domain))),
    type: dictionaryVector(concatInt32(files.map((f) => f.type)), EVENT_TYPES),
    user_id: utf8Vector(
      concatBytes(files.map((f) => f.userIdBytes)), concatOffsets(files.map((f) => f.userIdOffsets)), concatBytes(files.map((f) => f.userIdNull)),
    ),
    country: dictionaryVectorOf(mergeDictionaries(files.map((f) => f.country))),
    token: dictionaryVectorOf(mergeDictionaries(files.map((f) => f.token))),
    file: dictionaryVector(concatInt32(files.map((f, index) => new Int32Array(f.rows).fill(index))), files.map((f) => f.file)),
    line: int32(concatInt32(files.map((f) => f.line))),
    id_hash: int32(concatInt32(files.map((f) => f.idHashes))),
    user_id_hash: int32(concatInt32(files.map((f) => f.userIdHashes))),
  });
}

const dictionaryVectorOf = ({ codes, values }: DictionaryColumn) => dictionaryVector(codes, values);
