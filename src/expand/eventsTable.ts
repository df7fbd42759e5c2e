import { Bool, Field, Int64, List, Table, Utf8, makeData, makeVector, type Data } from 'apache-arrow';
import type { DictionaryColumn, ParsedFile } from '../read/ParsedFile.ts';
import { EVENT_TYPES } from '../read/parseEventJson.ts';
import type { Tally } from '../report/Tally.ts';
import { parseToken, type TokenFacts } from './parseToken.ts';
import { LIST_COLUMNS, tokenLists, type TokenLists } from './tokenLists.ts';

/**
 * The columns of the deduplicated events table (SPEC.md, "Events, breakdowns and grain"), in order.
 *
 * @example
 * events.select(...EVENT_COLUMNS);
 */
export const EVENT_COLUMNS = ['id', 'datehour', 'datetime', 'domain', 'type', 'user_id', 'country', 'consent',
  ...LIST_COLUMNS.map(({ column }) => column), 'file', 'line'] as const;

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
 * with `datetime` kept (in key order) and the rows `duplicates` marks (1) left out. Each distinct token is
 * parsed once (cached across calls) and every row gathers its consent and lists by token code; strings
 * are copied as UTF-8 bytes, never made into JS strings per row. `line` is int64, the lists are
 * list<utf8>, the rest utf8 or bool.
 *
 * @example
 * const events = eventsTable('2021-01-23-10', parsed, markDuplicates(parsed, seenIds), { tally });
 */
export function eventsTable(datehour: string, files: readonly ParsedFile[], duplicates: Uint8Array, { tally, tokens = new Map(), fileKey = (file) => file }: EventsTableOptions = {}): Table {
  const kept = duplicates.reduce((sum, mark) => sum + (mark ? 0 : 1), 0);
  const id = new Utf8Column(kept);
  const userId = new Utf8Column(kept);
  const strings = { datehour: new Utf8Column(kept), datetime: new Utf8Column(kept), domain: new Utf8Column(kept), type: new Utf8Column(kept), country: new Utf8Column(kept), file: new Utf8Column(kept) };
  const lists = LIST_COLUMNS.map(() => new ListColumn(kept));
  const consent = new Uint8Array((kept + 7) >> 3);
  const line = new BigInt64Array(kept);
  const datehourBytes = [encoder.encode(datehour)];
  const typeBytes = EVENT_TYPES.map((type) => encoder.encode(type));
  let row = 0; // of the partition
  let out = 0; // of the table
  for (const file of files) {
    if (!file.datetime) throw new Error(`eventsTable needs files parsed with datetime kept: ${file.file} was not`);
    const readings = file.token.values.map((text) => {
      let reading = tokens.get(text);
      if (!reading) tokens.set(text, (reading = { facts: parseToken(text), lists: tokenLists(text) }));
      return reading;
    });
    const listBytes = readings.map((reading) => LIST_COLUMNS.map(({ field }) => reading.lists[field]?.map(bytesOf) ?? null));
    const [domainBytes, countryBytes, datetimeBytes] = [file.domain, file.country, file.datetime].map(valueBytes);
    const fileBytes = [encoder.encode(fileKey(file.file))];
    for (let at = 0; at < file.rows; at++, row++) {
      const tokenCode = file.token.codes[at]!;
      if (tally && tokenCode >= 0 && !readings[tokenCode]!.facts.valid) {
        tally.report({ reason: 'invalid_token', file: file.file, line: file.line[at]!, detail: readings[tokenCode]!.facts.problem ?? 'invalid token' });
      }
      if (duplicates[row]) continue;
      id.append(file.idBytes, file.idOffsets[at]!, file.idOffsets[at + 1]!);
      if (file.userIdNull[at]) userId.appendNull();
      else userId.append(file.userIdBytes, file.userIdOffsets[at]!, file.userIdOffsets[at + 1]!);
      strings.datehour.appendCode(0, datehourBytes);
      strings.datetime.appendCode(file.datetime.codes[at]!, datetimeBytes);
      strings.domain.appendCode(file.domain.codes[at]!, domainBytes);
      strings.type.appendCode(file.type[at]!, typeBytes);
      strings.country.appendCode(file.country.codes[at]!, countryBytes);
      strings.file.appendCode(0, fileBytes);
      if (tokenCode >= 0 && readings[tokenCode]!.facts.consent) consent[out >> 3]! |= 1 << (out & 7);
      lists.forEach((list, index) => list.append(tokenCode < 0 ? null : listBytes[tokenCode]![index]!));
      line[out] = BigInt(file.line[at]!);
      out++;
    }
  }
  return new Table({
    id: id.vector(), datehour: strings.datehour.vector(), datetime: strings.datetime.vector(), domain: strings.domain.vector(),
    type: strings.type.vector(), user_id: userId.vector(), country: strings.country.vector(),
    consent: makeVector({ type: new Bool(), data: consent, length: kept }),
    ...Object.fromEntries(LIST_COLUMNS.map(({ column }, index) => [column, lists[index]!.vector()])),
    file: strings.file.vector(),
    line: makeVector({ type: new Int64(), data: line, length: kept }),
  });
}

const encoder = new TextEncoder();
const bytesOf = (text: string) => encoder.encode(text);
const valueBytes = (column: DictionaryColumn) => column.values.map(bytesOf);

/** A utf8 column built row by row from UTF-8 bytes, with nulls. */
class Utf8Column {
  private bytes = new Uint8Array(1 << 16);
  private used = 0;
  private offsets: Int32Array;
  private nulls: Uint8Array;
  private nullCount = 0;
  rows = 0;

  constructor(rows: number) {
    this.offsets = new Int32Array(rows + 1);
    this.nulls = new Uint8Array(rows);
  }

  append(from: Uint8Array, start: number, end: number): void {
    const length = end - start;
    if (this.used + length > this.bytes.length) this.grow(this.used + length);
    const bytes = this.bytes;
    const at = this.used;
    for (let i = 0; i < length; i++) bytes[at + i] = from[start + i]!;
    this.used += length;
    this.next();
  }

  appendNull(): void {
    this.nullCount++;
    this.ensureRows();
    this.nulls[this.rows] = 1;
    this.next();
  }

  /** The value of dictionary code `code` (-1: null), given each code's bytes. */
  appendCode(code: number, values: readonly Uint8Array[]): void {
    if (code < 0) return this.appendNull();
    const value = values[code]!;
    this.append(value, 0, value.length);
  }

  data(): Data<Utf8> {
    const rows = this.rows;
    return makeData({ type: new Utf8(), length: rows, nullCount: this.nullCount, nullBitmap: this.nullCount ? validity(this.nulls, rows) : null,
      data: this.bytes.subarray(0, this.used), valueOffsets: this.offsets.subarray(0, rows + 1) });
  }

  vector() {
    return makeVector(this.data());
  }

  private next(): void {
    this.ensureRows();
    this.offsets[++this.rows] = this.used;
  }

  private ensureRows(): void {
    if (this.rows + 1 < this.offsets.length) return;
    const offsets = new Int32Array(this.offsets.length * 2 + 16);
    offsets.set(this.offsets);
    this.offsets = offsets;
    const nulls = new Uint8Array(offsets.length);
    nulls.set(this.nulls);
    this.nulls = nulls;
  }

  private grow(needed: number): void {
    const bytes = new Uint8Array(Math.max(needed, this.bytes.length * 2));
    bytes.set(this.bytes.subarray(0, this.used));
    this.bytes = bytes;
  }
}

/** A list<utf8> column built row by row from each row's names as UTF-8 bytes, or null. */
class ListColumn {
  private readonly names = new Utf8Column(16);
  private readonly offsets: Int32Array;
  private readonly nulls: Uint8Array;
  private nullCount = 0;
  private rows = 0;

  constructor(rows: number) {
    this.offsets = new Int32Array(rows + 1);
    this.nulls = new Uint8Array(rows);
  }

  append(names: readonly Uint8Array[] | null): void {
    if (names === null) {
      this.nulls[this.rows] = 1;
      this.nullCount++;
    } else {
      for (const name of names) this.names.append(name, 0, name.length);
    }
    this.offsets[++this.rows] = this.names.rows;
  }

  vector() {
    const rows = this.rows;
    return makeVector(makeData({ type: new List(new Field('item', new Utf8(), true)), length: rows, nullCount: this.nullCount,
      nullBitmap: this.nullCount ? validity(this.nulls, rows) : null, valueOffsets: this.offsets, child: this.names.data() }));
  }
}

/** Arrow's validity bitmap (bit set = valid) from flags where 1 is null. */
function validity(nulls: Uint8Array, rows: number): Uint8Array {
  const bitmap = new Uint8Array((rows + 7) >> 3);
  for (let row = 0; row < rows; row++) if (!nulls[row]) bitmap[row >> 3]! |= 1 << (row & 7);
  return bitmap;
}
