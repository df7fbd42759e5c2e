import type { ColumnTable } from 'arquero';
import { Float64, Int64, Table, makeData, makeVector, tableToIPC, type Vector } from 'apache-arrow';
import { emptyMetrics, METRIC_COLUMNS } from '../metrics/metricsFromCells.ts';
import { utf8Vector } from '../read/dictionaryVector.ts';

const KEY_COLUMNS = METRIC_COLUMNS.slice(0, 3);
const COUNT_COLUMNS = METRIC_COLUMNS.slice(3, 9);

/**
 * The metrics as an apache-arrow table with exactly the output schema: utf8 keys, int64 counts,
 * float64 average (Arrow would otherwise pick the narrowest integer type). A key column is UTF-8
 * encoded in one call: encoding string by string cost more than the rest of the write.
 *
 * @example
 * metricsToArrow(metrics).schema.fields.map(String); // ['datehour: Utf8', ..., 'pageviews: Int64', ...]
 */
export function metricsToArrow(metrics: ColumnTable): Table {
  const columns: Record<string, Vector> = {};
  for (const name of KEY_COLUMNS) columns[name] = utf8FromStrings(metrics.array(name) as ArrayLike<string | null>);
  for (const name of COUNT_COLUMNS) columns[name] = int64FromNumbers(metrics.array(name) as ArrayLike<number>);
  const average = Float64Array.from(metrics.array('avg_pageviews_per_user') as ArrayLike<number>);
  columns.avg_pageviews_per_user = makeVector(makeData({ type: new Float64(), length: average.length, data: average }));
  return new Table(columns);
}

/**
 * The metrics as Arrow IPC stream bytes (readable by apache-arrow, parquet-wasm and flechette).
 *
 * @example
 * const bytes = metricsToArrowIPC(metrics); // for encodeParquet, or any Arrow reader
 */
export function metricsToArrowIPC(metrics: ColumnTable): Uint8Array {
  return tableToIPC(metricsToArrow(metrics), 'stream');
}

/** A utf8 vector of strings and nulls: one encode for the whole column when it is ASCII, as keys nearly always are. */
function utf8FromStrings(values: ArrayLike<string | null>): Vector {
  const offsets = new Int32Array(values.length + 1);
  const isNull = new Uint8Array(values.length);
  const present: string[] = [];
  let length = 0;
  for (let row = 0; row < values.length; row++) {
    const value = values[row];
    if (value === null || value === undefined) isNull[row] = 1;
    else {
      present.push(value);
      length += value.length;
    }
    offsets[row + 1] = length;
  }
  // UTF-16 units are bytes when every character is ASCII: then the offsets above are byte offsets.
  const data = new Uint8Array(length);
  const { read, written } = new TextEncoder().encodeInto(present.join(''), data);
  return read === length && written === length ? utf8Vector(data, offsets, isNull) : utf8PerValue(values, isNull);
}

/** {@link utf8FromStrings} for columns with non-ASCII text: each distinct string encoded once. */
function utf8PerValue(values: ArrayLike<string | null>, isNull: Uint8Array): Vector {
  const encoder = new TextEncoder();
  const encoded = new Map<string, Uint8Array>();
  const parts: Uint8Array[] = [];
  const offsets = new Int32Array(values.length + 1);
  let length = 0;
  for (let row = 0; row < values.length; row++) {
    const value = values[row];
    if (!isNull[row]) {
      let bytes = encoded.get(value!);
      if (!bytes) encoded.set(value!, (bytes = encoder.encode(value!)));
      parts.push(bytes);
      length += bytes.length;
    }
    offsets[row + 1] = length;
  }
  const data = new Uint8Array(length);
  let at = 0;
  for (const bytes of parts) {
    data.set(bytes, at);
    at += bytes.length;
  }
  return utf8Vector(data, offsets, isNull);
}

/** int64 from whole numbers, written as little-endian pairs of 32-bit words (no BigInt per value). */
function int64FromNumbers(values: ArrayLike<number>): Vector {
  const words = new Int32Array(values.length * 2);
  for (let row = 0; row < values.length; row++) {
    const value = values[row]!;
    words[row * 2] = value | 0;
    words[row * 2 + 1] = Math.floor(value / 0x1_0000_0000);
  }
  return makeVector(makeData({ type: new Int64(), length: values.length, data: new BigInt64Array(words.buffer) }));
}

/** Partitions' metrics (from `metricsToArrow`, in datehour order) as one table; the empty table when there are none. */
export function joinMetrics(tables: readonly Table[]): Table {
  return tables.length > 0 ? tables[0]!.concat(...tables.slice(1)) : metricsToArrow(emptyMetrics());
}
