import type { ColumnTable } from 'arquero';
import { Float64, Int64, Table, makeData, makeVector, tableToIPC, type Vector } from 'apache-arrow';
import type { BreakdownRows } from '../metrics/countBreakdown.ts';
import type { CountedGroups } from '../metrics/countRows.ts';
import { BREAKDOWN_COUNTS, keptKeys, timeColumn, type Grouping } from '../metrics/grouping.ts';
import { emptyMetrics } from '../metrics/metricsFromCells.ts';
import { GROUP_KEYS, METRIC_DEFINITIONS } from '../metrics/metricDefinitions.ts';
import { utf8FromCodes, utf8Vector } from '../read/dictionaryVector.ts';
import { EVENT_TYPES } from '../read/parseEventJson.ts';


/**
 * The metrics as an apache-arrow table with exactly the output schema: utf8 keys, int64 counts,
 * float64 ratios (Arrow would otherwise pick the narrowest integer type). A key column is UTF-8
 * encoded in one call: encoding string by string cost more than the rest of the write.
 *
 * @example
 * metricsToArrow(metrics).schema.fields.map(String); // ['datehour: Utf8', ..., 'pageviews: Int64', ...]
 */
export function metricsToArrow(metrics: ColumnTable): Table {
  const keys: Record<string, Vector> = {};
  for (const name of GROUP_KEYS) keys[name] = utf8FromStrings(metrics.array(name) as ArrayLike<string | null>);
  return withMetricValues(keys, metrics);
}

/**
 * The metrics of counted partitions (in datehour order) as an Arrow table in the output schema, like
 * {@link metricsToArrow}: `values` holds the metric columns (`metricValues`, a row per group), and
 * the key columns are made straight from each partition's dictionary codes, each distinct value
 * encoded once (not a string per group, carried through Arquero and encoded again).
 *
 * @example
 * countedMetricsToArrow(parts, metricValues(aq.table(pivotedColumns(parts))));
 */
export function countedMetricsToArrow(parts: readonly CountedGroups[], values: ColumnTable): Table {
  return withMetricValues({
    datehour: utf8FromCodes(parts.map(({ datehour, groups }) => ({ codes: new Int32Array(groups), values: [datehour] }))),
    domain: utf8FromCodes(parts.map(({ domainCodes, domainValues, groups }) => ({ codes: domainCodes.subarray(0, groups), values: domainValues }))),
    country: utf8FromCodes(parts.map(({ countryCodes, countryValues, groups }) => ({ codes: countryCodes.subarray(0, groups), values: countryValues }))),
  }, values);
}

/** The key vectors and the metric columns of `metrics`, in the output schema. */
function withMetricValues(keys: Record<string, Vector>, metrics: ColumnTable): Table {
  const columns: Record<string, Vector> = { ...keys };
  // In the definitions' order, the output schema's.
  for (const [name, { type }] of Object.entries(METRIC_DEFINITIONS)) {
    const values = metrics.array(name) as ArrayLike<number>;
    columns[name] = type === 'int64' ? int64FromNumbers(values) : makeVector(makeData({ type: new Float64(), length: values.length, data: Float64Array.from(values) }));
  }
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

/**
 * Metrics counted under another grouping (`grain`, `keys`) in the output's columns for it: the time
 * column named for the grain (`date` for a day), then the keys kept, then the metrics. `metrics` is the
 * standard schema, its `datehour` holding the time values and a key left out all null.
 *
 * @example
 * groupedMetrics(partitionsMetrics(counts), { grain: 'day', keys: ['domain'] }).schema.names; // date, domain, pageviews, ...
 */
export function groupedMetrics(metrics: Table, { grain, keys }: Grouping): Table {
  const columns: Record<string, Vector> = { [timeColumn(grain)]: metrics.getChild('datehour')! };
  for (const key of keptKeys(keys)) columns[key] = metrics.getChild(key)!;
  for (const name of Object.keys(METRIC_DEFINITIONS)) columns[name] = metrics.getChild(name)!;
  return new Table(columns);
}

/**
 * A breakdown's rows (each time value's, in time order) as Arrow: the time column for the grain, the keys
 * kept, `type`, the name (`purpose` or `vendor`) as utf8, and `events`, `enabled`, `disabled` as int64.
 *
 * @example
 * breakdownToArrow([countBreakdown('2021-01-23-10', parts, duplicates, 'purpose')], { by: 'purpose' });
 */
export function breakdownToArrow(parts: readonly BreakdownRows[], { by = 'purpose', grain, keys }: Grouping): Table {
  const columns: Record<string, Vector> = { [timeColumn(grain)]: utf8FromCodes(parts.map(({ rows, time }) => ({ codes: new Int32Array(rows), values: [time] }))) };
  for (const key of keptKeys(keys)) columns[key] = utf8FromCodes(parts.map((part) => part[key]));
  columns.type = utf8FromCodes(parts.map(({ type }) => ({ codes: type, values: EVENT_TYPES })));
  columns[by] = utf8FromCodes(parts.map(({ name }) => name));
  for (const count of BREAKDOWN_COUNTS) {
    const values = new Float64Array(parts.reduce((sum, part) => sum + part.rows, 0));
    parts.reduce((at, part) => (values.set(part[count], at), at + part.rows), 0);
    columns[count] = int64FromNumbers(values);
  }
  return new Table(columns);
}
