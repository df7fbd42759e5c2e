import { Int32, Table, Utf8, makeVector, vectorFromArray } from 'apache-arrow';
import { dictionaryVector } from './dictionaryVector.ts';
import type { EventColumns } from './EventColumns.ts';

/**
 * The Arrow table of one partition's accepted events, rows in file key then line order (the order
 * that decides which duplicate wins). Columns:
 *
 * | column | type | |
 * |---|---|---|
 * | `id` | utf8 | event id |
 * | `datehour` | dictionary utf8 | from the partition folder |
 * | `domain`, `type`, `user_id`, `country`, `token` | dictionary utf8 | `token` is the raw JSON string |
 * | `file` | dictionary utf8 | where the line came from |
 * | `line` | int32 | its 1-based line number |
 */
export function eventTable(datehour: string, files: readonly EventColumns[]): Table {
  const length = files.reduce((sum, file) => sum + file.length, 0);
  const lines = new Int32Array(length);
  let offset = 0;
  for (const file of files) {
    lines.set(file.line, offset);
    offset += file.length;
  }
  return new Table({
    id: vectorFromArray(files.flatMap((file) => file.id), new Utf8()),
    datehour: dictionaryVector([Array<string>(length).fill(datehour)]),
    domain: dictionaryVector(files.map((file) => file.domain)),
    type: dictionaryVector(files.map((file) => file.type)),
    user_id: dictionaryVector(files.map((file) => file.userId)),
    country: dictionaryVector(files.map((file) => file.country)),
    token: dictionaryVector(files.map((file) => file.token)),
    file: dictionaryVector(files.map((file) => Array<string>(file.length).fill(file.file))),
    line: makeVector({ type: new Int32(), data: lines }),
  });
}
