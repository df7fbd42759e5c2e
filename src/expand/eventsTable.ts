import { Bool, Field, Int64, List, Table, Utf8, makeData, makeVector } from 'apache-arrow';
import { StringDictionary } from '../read/columnBuilders.ts';
import { utf8FromCodes, validityOf } from '../read/dictionaryVector.ts';
import type { DictionaryColumn, ParsedFile } from '../read/ParsedFile.ts';
import { EVENT_TYPES } from '../read/parseEventJson.ts';
import type { Tally } from '../report/Tally.ts';
import { parseToken, tokenFactsOf, type TokenFacts } from './parseToken.ts';
import { LIST_COLUMNS, tokenListsOf, type TokenLists } from './tokenLists.ts';

/**
 * The columns of the deduplicated events table (SPEC.md, "Events, breakdowns and grain"), in order.
 *
 * @example
 * events.select(...EVENT_COLUMNS);
 */
export const EVENT_COLUMNS: readonly string[] = ['id', 'datehour', 'datetime', 'domain', 'type', 'user_id', 'country', 'consent',
  ...LIST_COLUMNS.map(({ column }) => column), 'file', 'line'];

/**
 * The events' columns whose values are nearly all distinct: a Parquet writer gains nothing by building them
 * a dictionary (`ColumnEncodings.distinctColumns`).
 *
 * @example
 * encodeParquet(ipc, 'snappy', { countEncodings: false, distinctColumns: EVENT_DISTINCT_COLUMNS });
 */
export const EVENT_DISTINCT_COLUMNS: readonly string[] = ['id', 'user_id', 'line'];

/**
 * How the events' columns are encoded in Parquet: no count columns to delta-encode, the distinct ones
 * without a dictionary.
 *
 * @example
 * encodeParquet(tableToIPC(events, 'stream'), 'zstd', EVENT_ENCODINGS);
 */
export const EVENT_ENCODINGS: { readonly countEncodings: false; readonly distinctColumns: readonly string[] } = { countEncodings: false, distinctColumns: EVENT_DISTINCT_COLUMNS };

/**
 * What a token says, for the events table: its consent and validity (`parseToken`) and its lists (`tokenLists`).
 *
 * @example
 * const cache = new Map<string, TokenReading>(); // one per run: each distinct token parsed once
 */
export interface TokenReading {
  /** Consent, validity and why not valid. */
  facts: TokenFacts;
  /** The token's lists of names. */
  lists: TokenLists;
}

/**
 * How {@link eventsTable} reports and caches.
 *
 * @example
 * eventsTable(datehour, parsed, duplicates, { tally, tokens: new Map(), fileKey: (file) => file });
 */
export interface EventsTableOptions {
  /** Where invalid tokens are reported (file and line), for every accepted row, kept or not, as the job does. Default: not reported. */
  tally?: Tally;
  /** Tokens already read, by text: pass one map to every partition of a run. Default: a new map. */
  tokens?: Map<string, TokenReading>;
  /** A file's `file` column value from the name it was parsed under (its key under the root). Default: the name as it is. */
  fileKey?: (file: string) => string;
}

/**
 * One partition's deduplicated events as an Arrow table of {@link EVENT_COLUMNS}, from its files parsed
 * with `datetime` kept (in key order) and the rows `duplicates` marks (1) left out. Built a column at a
 * time: each distinct token is parsed once (cached across calls) and rows gather its consent and lists by
 * token code; dictionary columns become utf8 from their codes, ids are copied a run of kept rows at a
 * time; no string is made per row. `line` is int64, the lists are list<utf8>, the rest utf8 or bool.
 *
 * @example
 * const events = eventsTable('2021-01-23-10', parsed, markDuplicates(parsed, seenIds), { tally });
 */
export function eventsTable(datehour: string, files: readonly ParsedFile[], duplicates: Uint8Array, { tally, tokens = new Map(), fileKey = (file) => file }: EventsTableOptions = {}): Table {
  let row = 0;
  const keptOf = files.map((file) => {
    if (!file.datetime) throw new Error(`eventsTable needs files parsed with datetime kept: ${file.file} was not`);
    const kept = keptRows(duplicates, row, file.rows);
    row += file.rows;
    return kept;
  });
  const kept = keptOf.reduce((sum, rows) => sum + rows.length, 0);
  const readings = files.map((file) => file.token.values.map((text) => {
    let reading = tokens.get(text);
    if (!reading) tokens.set(text, (reading = readToken(text)));
    return reading;
  }));
  if (tally) files.forEach((file, index) => reportInvalidTokens(file, readings[index]!, tally));
  const coded = (column: (file: ParsedFile) => DictionaryColumn) =>
    utf8FromCodes(files.map((file, index) => ({ codes: gather(column(file).codes, keptOf[index]!), values: column(file).values })));
  const tokenCodes = files.map((file, index) => gather(file.token.codes, keptOf[index]!));
  return new Table({
    id: spansOf(files.map((file) => ({ bytes: file.idBytes, offsets: file.idOffsets })), keptOf),
    datehour: utf8FromCodes([{ codes: new Int32Array(kept), values: [datehour] }]),
    datetime: coded((file) => file.datetime!),
    domain: coded((file) => file.domain),
    type: utf8FromCodes(files.map((file, index) => ({ codes: gather(file.type, keptOf[index]!), values: EVENT_TYPES }))),
    user_id: spansOf(files.map((file) => ({ bytes: file.userIdBytes, offsets: file.userIdOffsets, isNull: file.userIdNull })), keptOf),
    country: coded((file) => file.country),
    consent: consentOf(tokenCodes, readings, kept),
    ...Object.fromEntries(LIST_COLUMNS.map(({ column, field }) => [column, listsOf(tokenCodes, readings, field, kept)])),
    file: utf8FromCodes(files.map((file, index) => ({ codes: new Int32Array(keptOf[index]!.length), values: [fileKey(file.file)] }))),
    line: int64Of(files.map((file, index) => gather(file.line, keptOf[index]!)), kept),
  });
}

/** A token's facts and lists from one parse of its text. */
function readToken(text: string): TokenReading {
  let token: unknown;
  try {
    token = JSON.parse(text);
  } catch {
    return { facts: parseToken(text), lists: tokenListsOf(undefined) }; // parseToken says why it is invalid
  }
  return { facts: tokenFactsOf(token), lists: tokenListsOf(token) };
}

/** The rows of `[from, from + rows)` that `duplicates` does not mark, as places from `from`. */
function keptRows(duplicates: Uint8Array, from: number, rows: number): Int32Array {
  const kept = new Int32Array(rows);
  let count = 0;
  for (let at = 0; at < rows; at++) if (!duplicates[from + at]) kept[count++] = at;
  return kept.subarray(0, count);
}

/** `values` at the places `rows`. */
function gather(values: Int32Array, rows: Int32Array): Int32Array {
  const out = new Int32Array(rows.length);
  for (let at = 0; at < rows.length; at++) out[at] = values[rows[at]!]!;
  return out;
}

/** The invalid tokens of a file's rows, every accepted row, kept or not (as the job reports them). */
function reportInvalidTokens(file: ParsedFile, readings: readonly TokenReading[], tally: Tally): void {
  if (readings.every((reading) => reading.facts.valid)) return;
  for (let at = 0; at < file.rows; at++) {
    const code = file.token.codes[at]!;
    if (code >= 0 && !readings[code]!.facts.valid) tally.report({ reason: 'invalid_token', file: file.file, line: file.line[at]!, detail: readings[code]!.facts.problem ?? 'invalid token' });
  }
}

/**
 * A utf8 column of byte spans (ids, user ids) at the kept places of each file, copied a run of
 * consecutive kept rows at a time (most rows are kept: a file is often one run).
 */
function spansOf(files: readonly { bytes: Uint8Array; offsets: Int32Array; isNull?: Uint8Array }[], keptOf: readonly Int32Array[]) {
  const rows = keptOf.reduce((sum, kept) => sum + kept.length, 0);
  const offsets = new Int32Array(rows + 1);
  const isNull = new Uint8Array(rows);
  let out = 0;
  files.forEach(({ offsets: from, isNull: nulls }, index) => {
    for (const at of keptOf[index]!) {
      if (nulls?.[at]) isNull[out] = 1;
      offsets[out + 1] = offsets[out]! + from[at + 1]! - from[at]!;
      out++;
    }
  });
  const data = new Uint8Array(offsets[rows]!);
  out = 0;
  files.forEach(({ bytes, offsets: from }, index) => {
    const kept = keptOf[index]!;
    for (let run = 0; run < kept.length; ) {
      let end = run + 1;
      while (end < kept.length && kept[end] === kept[end - 1]! + 1) end++;
      data.set(bytes.subarray(from[kept[run]!]!, from[kept[end - 1]! + 1]!), offsets[out]!);
      out += end - run;
      run = end;
    }
  });
  return makeVector(makeData({ type: new Utf8(), length: rows, ...validityOf(isNull, 0), data, valueOffsets: offsets }));
}

/** The consent bitmap of the kept rows, from their token codes. */
function consentOf(tokenCodes: readonly Int32Array[], readings: readonly TokenReading[][], rows: number) {
  const bits = new Uint8Array((rows + 7) >> 3);
  let out = 0;
  tokenCodes.forEach((codes, index) => {
    const consent = Uint8Array.from(readings[index]!, (reading) => (reading.facts.consent ? 1 : 0));
    for (let at = 0; at < codes.length; at++, out++) if (codes[at]! >= 0 && consent[codes[at]!]) bits[out >> 3]! |= 1 << (out & 7);
  });
  return makeVector({ type: new Bool(), data: bits, length: rows });
}

/**
 * One list column of the kept rows: each token's names (`field` of its lists) as codes of one dictionary
 * of names, laid out per file as one buffer with each token's start and length (-1: null), gathered by
 * token code; the names then become the utf8 child from their codes.
 */
function listsOf(tokenCodes: readonly Int32Array[], readings: readonly TokenReading[][], field: keyof TokenLists, rows: number) {
  const names = new StringDictionary();
  const offsets = new Int32Array(rows + 1);
  const isNull = new Uint8Array(rows);
  const laidOut = readings.map((ofFile) => {
    const lists = ofFile.map((reading) => reading.lists[field]);
    const starts = new Int32Array(lists.length);
    const lengths = Int32Array.from(lists, (list) => (list === null ? -1 : list.length));
    const codes = new Int32Array(lists.reduce((sum, list) => sum + (list?.length ?? 0), 0));
    let at = 0;
    lists.forEach((list, token) => {
      starts[token] = at;
      for (const name of list ?? []) codes[at++] = names.code(name);
    });
    return { starts, lengths, codes };
  });
  let out = 0;
  tokenCodes.forEach((tokens, index) => {
    const { lengths } = laidOut[index]!;
    for (let at = 0; at < tokens.length; at++, out++) {
      const length = tokens[at]! < 0 ? -1 : lengths[tokens[at]!]!;
      if (length < 0) isNull[out] = 1;
      offsets[out + 1] = offsets[out]! + (length < 0 ? 0 : length);
    }
  });
  const child = new Int32Array(offsets[rows]!);
  out = 0;
  tokenCodes.forEach((tokens, index) => {
    const { starts, lengths, codes } = laidOut[index]!;
    for (let at = 0; at < tokens.length; at++, out++) {
      const token = tokens[at]!;
      if (token < 0) continue;
      const start = starts[token]!;
      const length = lengths[token]!;
      const to = offsets[out]!;
      for (let name = 0; name < length; name++) child[to + name] = codes[start + name]!;
    }
  });
  const childData = utf8FromCodes([{ codes: child, values: names.values }]).data[0]!;
  return makeVector(makeData({ type: new List(new Field('item', new Utf8(), true)), length: rows, ...validityOf(isNull, 0), valueOffsets: offsets, child: childData }));
}

/** An int64 column of small non-negative whole numbers, written as the low words of the 64-bit values. */
function int64Of(parts: readonly Int32Array[], rows: number) {
  const words = new Int32Array(rows * 2);
  let out = 0;
  for (const part of parts) for (let at = 0; at < part.length; at++, out++) words[out * 2] = part[at]!;
  return makeVector({ type: new Int64(), data: new BigInt64Array(words.buffer), length: rows });
}
