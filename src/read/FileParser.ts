import { Buffer } from 'node:buffer';
import { Tally, type RejectReason } from '../report/Tally.ts';
import { ByteDictionary, StringDictionary, type ByteBuilder, type Int32Builder } from './columnBuilders.ts';
import { FileColumns } from './FileColumns.ts';
import { hashBytes, NULL_HASH } from './hashBytes.ts';
import { decodeJsonString } from './jsonBytes.ts';
import { LineScanner, STOP } from './LineScanner.ts';
import type { FileParserOptions, ParsedFile, ReservedRoom } from './ParsedFile.ts';
import { parseEventJson, type EventFields } from './parseEventJson.ts';
import { ESCAPED, EventSpans, scanEvent } from './scanEvent.ts';
import { TokenCodes } from './TokenTable.ts';

const NEWLINE = 0x0a;
const CARRIAGE_RETURN = 0x0d;

/**
 * Parses a JSON Lines file fed in chunks into a {@link ParsedFile}.
 *
 * The fast path is a WebAssembly SIMD scan (`LineScanner`, assembly/scanLines.ts): it takes
 * lines in any key order, with any JSON whitespace and extra fields, writes the columns for a whole
 * batch of lines, and interns domains, countries and tokens by their bytes, so each distinct token
 * is decoded once per file, not once per line. It also reads what each new plain token says (consent
 * or not, `tokenVerdicts`); with `judgeTokens` such a token is then not decoded at all. A line it
 * leaves (escapes or non-ASCII in a field or key it reads, a repeated key, a token that is not a
 * string) goes to a second fast path in JS, `scanEvent`; what that leaves (invalid JSON, a rejected
 * event) goes to {@link parseEventJson}: the result never depends on the path taken. (The slow
 * equivalent, JSON.parse per line, takes ~2x the whole parse without even building columns:
 * `npx tsx bench/shapes.ts`.)
 *
 * @example
 * const parser = new FileParser('part-0.json');
 * parser.push(new TextEncoder().encode('{"id":"a","type":"pageview"}\n'));
 * const parsed = parser.finish(); // parsed.rows === 1
 */
export class FileParser {
  /** The builders below, reused file after file on this thread (finish() copies the rows out). */
  private readonly columns: FileColumns;
  private readonly id: ByteBuilder;
  private readonly idOffsets: Int32Builder;
  private readonly idHashes: Int32Builder;
  private readonly type: Int32Builder;
  private readonly line: Int32Builder;
  /** Domain and country values by their UTF-8 bytes: the fast path looks them up without making a string. */
  private readonly domain = new ByteDictionary();
  private readonly domainCodes: Int32Builder;
  private readonly userId: ByteBuilder;
  private readonly userIdOffsets: Int32Builder;
  private readonly userIdHashes: Int32Builder;
  private readonly userIdNull: ByteBuilder;
  private readonly country = new ByteDictionary();
  private readonly countryCodes: Int32Builder;
  private readonly token = new StringDictionary();
  /** Each token code's verdict from the scan (missing: -1). */
  private readonly tokenVerdicts: number[] = [];
  /** With `judgeTokens`: the code shared by the judged tokens of each verdict (no consent, consent). */
  private readonly judgedCodes = [-1, -1];
  private readonly tokenCodes: Int32Builder;
  /** With the `datetime` option: datetimes by their UTF-8 bytes, and each row's code. */
  private readonly datetime = new ByteDictionary();
  private readonly datetimeCodes: Int32Builder;
  private readonly keepDatetime: boolean;
  /** Token bytes -> token code, each token decoded and validated the first time. */
  private readonly tokenTexts = new TokenCodes(this.token);
  /** Where `scanEvent` found the fields of the current line. */
  private readonly spans = new EventSpans();
  // ignoreBOM keeps a byte-order mark in the text: only one at the very start of a file is skipped (below).
  private readonly decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
  private readonly encoder = new TextEncoder();
  private readonly scanner = LineScanner.acquire();
  /** Where the unfinished line carried to the next chunk starts, in the scanner's input. */
  private carryFrom: number;
  private finished = false;
  /** Lines the WebAssembly scan left to JS (the second fast path, or JSON.parse): 0 for the shapes it takes. */
  linesLeftToJs = 0;
  private lineNumber = 0;
  private bytes = 0;
  /** Lines and rejections; never strict here (a worker cannot fail the run): the reader's tally decides. */
  private readonly tally = new Tally();
  private readonly started = performance.now();

  /**
   * @param file where the lines come from, for the report
   * @param expectedBytes the file's size, when known, to size the columns once instead of growing them
   * @param options see {@link FileParserOptions}
   */
  constructor(readonly file: string, expectedBytes = 0, private readonly options: FileParserOptions = {}) {
    this.columns = FileColumns.acquire(Math.ceil(expectedBytes / 200) + 16); // lines are ~340 bytes: rarely more rows than this
    ({ id: this.id, userId: this.userId, userIdNull: this.userIdNull, idOffsets: this.idOffsets, idHashes: this.idHashes, type: this.type, line: this.line,
      domainCodes: this.domainCodes, userIdOffsets: this.userIdOffsets, userIdHashes: this.userIdHashes, countryCodes: this.countryCodes,
      tokenCodes: this.tokenCodes, datetimeCodes: this.datetimeCodes } = this.columns);
    this.carryFrom = this.scanner.inputStart;
    this.keepDatetime = options.datetime === true;
    this.scanner.keepDatetime(this.keepDatetime);
  }

  /** The memory the lines are in, as a DataView for word-at-a-time token compares. */
  private view: DataView = new DataView(new ArrayBuffer(0));

  /** Parses every complete line of a chunk; a line cut at the chunk's end waits for the next one. */
  push(chunk: Uint8Array): void {
    const { into, at } = this.reserve(chunk.length);
    into.set(chunk, at); // a copy: the caller may reuse the chunk's memory
    this.commit(chunk.length);
  }

  /**
   * Reads up to `length` bytes with `read(into, offset, length)` straight into the scanner's memory
   * (no copy, unlike {@link push}) and parses the complete lines; returns the bytes read, 0 at the
   * end of the input.
   *
   * @example
   * while (parser.pushFrom((into, offset, length) => readSync(fd, into, offset, length, null), 8 << 20) > 0);
   */
  pushFrom(read: (into: Uint8Array, offset: number, length: number) => number, length: number): number {
    const { into, at } = this.reserve(length);
    return this.commit(read(into, at, length));
  }

  /**
   * Room for up to `length` bytes in the scanner's memory, from `into[at]`: write them there (nothing else
   * may touch the parser meanwhile), then {@link commit} how many were written.
   */
  reserve(length: number): ReservedRoom {
    this.reserved = this.scanner.prepare(this.carryFrom, length);
    return { into: this.scanner.bytes, at: this.reserved };
  }

  /** Parses the complete lines of the `count` bytes written after {@link reserve}; returns `count`. */
  commit(count: number): number {
    this.scanner.loaded(this.reserved + count);
    this.bytes += count;
    this.carryFrom = this.scanInput(this.scanner.inputStart, false);
    return count;
  }

  private reserved = 0;

  /** Parses the last line (if it has no newline) and returns the columns. */
  finish(): ParsedFile {
    if (this.finished) throw new Error('FileParser.finish() was called already');
    this.scanInput(this.carryFrom, true);
    this.scanner.release();
    this.finished = true;
    const parsed: ParsedFile = {
      file: this.file,
      rows: this.type.length,
      idBytes: this.id.finish(),
      idOffsets: this.idOffsets.finish(),
      idHashes: this.idHashes.finish(),
      type: this.type.finish(),
      domain: { codes: this.domainCodes.finish(), values: this.domain.strings() },
      userIdBytes: this.userId.finish(),
      userIdOffsets: this.userIdOffsets.finish(),
      userIdHashes: this.userIdHashes.finish(),
      userIdNull: this.userIdNull.finish(),
      country: { codes: this.countryCodes.finish(), values: this.country.strings() },
      token: { codes: this.tokenCodes.finish(), values: this.token.values },
      tokenVerdicts: Int8Array.from(this.token.values, (_, code) => this.tokenVerdicts[code] ?? -1),
      ...(this.keepDatetime ? { datetime: { codes: this.datetimeCodes.finish(), values: this.datetime.strings() } } : {}),
      line: this.line.finish(),
      lineCount: this.lineNumber,
      bytes: this.bytes,
      parseMilliseconds: performance.now() - this.started,
      lines: this.tally.lines,
      rejected: this.tally.rejected,
      invalidTokens: 0,
      examples: this.tally.examples,
    };
    this.columns.release();
    return parsed;
  }

  private parseLine(bytes: Buffer, start: number, end: number): void {
    this.lineNumber++;
    if (this.lineNumber === 1 && !this.options.midFile && bytes[start] === 0xef && bytes[start + 1] === 0xbb && bytes[start + 2] === 0xbf) start += 3;
    if (end > start && bytes[end - 1] === CARRIAGE_RETURN) end--;
    if (end === start) return;
    if (!this.parseAnyShape(bytes, start, end)) this.parseSlowly(bytes, start, end);
  }

  /**
   * Scans the input loaded: the WebAssembly scan takes runs of lines, this parser the lines it
   * leaves, from `at` to the input's end. Returns where the unfinished last line starts (the end
   * when `final`).
   */
  private scanInput(at: number, final: boolean): number {
    const scanner = this.scanner;
    const end = scanner.inputEnd;
    while (at < end) {
      const rows = scanner.scan(at, end, final, this.lineNumber, this.id.length, this.userId.length);
      this.lineNumber += scanner.linesConsumed;
      if (rows > 0) this.takeRows(rows);
      at = scanner.resumeAt;
      const reason = scanner.stopReason;
      if (reason === STOP.end) return at;
      if (reason === STOP.declined) {
        this.linesLeftToJs++;
        const lineEnd = Math.min(scanner.bytes.indexOf(NEWLINE, at), end); // a newline follows the input
        this.view = scanner.view;
        this.parseLine(scanner.bytes, at, lineEnd);
        at = lineEnd + 1;
      }
    }
    return end;
  }

  /** Appends the rows a scan wrote, mapping its dictionary entries to this file's codes. */
  private takeRows(rows: number): void {
    const scanner = this.scanner;
    const idBytes = scanner.idEnds[rows - 1]! - this.id.length;
    const userIdBytes = scanner.userIdEnds[rows - 1]! - this.userId.length;
    this.id.append(scanner.bytes, scanner.idArena, scanner.idArena + idBytes);
    this.userId.append(scanner.bytes, scanner.userIdArena, scanner.userIdArena + userIdBytes);
    this.idOffsets.pushAll(scanner.idEnds, rows);
    this.idHashes.pushAll(scanner.idHashes, rows);
    this.type.pushAll(scanner.types, rows);
    this.userIdOffsets.pushAll(scanner.userIdEnds, rows);
    this.userIdHashes.pushAll(scanner.userIdHashes, rows);
    this.line.pushAll(scanner.lines, rows);
    const { userIdNulls, domainEntries, countryEntries, tokenEntries, entryCodes } = scanner;
    this.userIdNull.pushBytes(userIdNulls, rows);
    this.resolveNewEntries(domainEntries, rows, this.domain);
    this.resolveNewEntries(countryEntries, rows, this.country);
    this.resolveNewEntries(tokenEntries, rows, null);
    this.domainCodes.pushMapped(domainEntries, rows, entryCodes);
    this.countryCodes.pushMapped(countryEntries, rows, entryCodes);
    this.tokenCodes.pushMapped(tokenEntries, rows, entryCodes);
    if (this.keepDatetime) {
      this.resolveNewEntries(scanner.datetimeEntries, rows, this.datetime);
      this.datetimeCodes.pushMapped(scanner.datetimeEntries, rows, entryCodes);
    }
    this.tally.lines += rows;
  }

  /** Gives a code to each scan dictionary entry of `entries[0, rows)` met for the first time in this file. */
  private resolveNewEntries(entries: Int32Array, rows: number, dictionary: ByteDictionary | null): void {
    const entryCodes = this.scanner.entryCodes;
    for (let row = firstUnresolved(entries, 0, rows, entryCodes); row < rows; row = firstUnresolved(entries, row + 1, rows, entryCodes)) {
      this.resolveEntry(entries[row]!, dictionary);
    }
  }

  /** An entry met for the first time in this file: its bytes are ASCII, a token's a valid JSON string body. */
  private resolveEntry(entry: number, dictionary: ByteDictionary | null): number {
    const { bytes, storage, entryStarts, entryLengths } = this.scanner;
    const start = storage + entryStarts[entry]!;
    const end = start + entryLengths[entry]!;
    const code = dictionary ? dictionary.code(bytes, start, end, hashBytes(bytes, start, end)) : this.tokenCodeOfEntry(entry, start, end);
    this.scanner.entryCodes[entry] = code;
    return code;
  }

  /** The code of a token entry: its text's, with the scan's verdict; or, with `judgeTokens` and a verdict, its verdict's shared code. */
  private tokenCodeOfEntry(entry: number, start: number, end: number): number {
    const verdict = this.scanner.entryVerdicts[entry]!;
    if (this.options.judgeTokens && verdict >= 0) {
      if (this.judgedCodes[verdict]! < 0) this.tokenVerdicts[(this.judgedCodes[verdict] = this.token.unlisted(''))] = verdict;
      return this.judgedCodes[verdict]!;
    }
    const code = this.token.code(JSON.parse(`"${this.scanner.bytes.toString('latin1', start, end)}"`));
    if (verdict >= 0) this.tokenVerdicts[code] = verdict;
    return code;
  }

  /**
   * The second fast path, for any other key order, spacing or extra fields: `scanEvent`
   * validates the line and finds the fields; returns false, having appended nothing, when the exact
   * path must decide.
   */
  private parseAnyShape(bytes: Buffer, start: number, end: number): boolean {
    const spans = this.spans;
    if (!scanEvent(bytes, start, end, spans)) return false;
    const { idStart, idEnd, userIdStart, userIdEnd, domainStart, domainEnd, countryStart, countryEnd, tokenStart, tokenEnd, escaped } = spans;
    const tokenCode = tokenStart < 0 ? -1 : spans.tokenIsValue ? this.tokenTexts.ofValue(this.view, bytes, tokenStart, tokenEnd) : this.tokenTexts.ofString(this.view, bytes, tokenStart, tokenEnd);
    if (tokenStart >= 0 && tokenCode < 0) return false;

    const idHash = this.appendString(this.id, bytes, idStart, idEnd, (escaped & ESCAPED.id) !== 0);
    const userIdNull = userIdStart < 0;
    const userIdHash = userIdNull ? NULL_HASH : this.appendString(this.userId, bytes, userIdStart, userIdEnd, (escaped & ESCAPED.userId) !== 0);
    this.pushRow(
      idHash,
      spans.type,
      domainStart < 0 ? -1 : this.codeOfSpan(this.domain, bytes, domainStart, domainEnd, (escaped & ESCAPED.domain) !== 0),
      userIdHash,
      userIdNull ? 1 : 0,
      countryStart < 0 ? -1 : this.codeOfSpan(this.country, bytes, countryStart, countryEnd, (escaped & ESCAPED.country) !== 0),
      tokenCode,
    );
    if (this.keepDatetime) {
      const { datetimeStart, datetimeEnd } = spans;
      this.datetimeCodes.push(datetimeStart < 0 ? -1 : this.codeOfSpan(this.datetime, bytes, datetimeStart, datetimeEnd, (escaped & ESCAPED.datetime) !== 0));
    }
    this.tally.lines++;
    return true;
  }

  /** Appends a string span's UTF-8 bytes (escapes decoded when it has some); returns their hash. */
  private appendString(into: ByteBuilder, bytes: Buffer, start: number, end: number, escaped: boolean): number {
    if (!escaped) {
      into.append(bytes, start, end);
      return hashBytes(bytes, start, end);
    }
    const decoded = this.encoder.encode(decodeJsonString(bytes, start, end));
    into.append(decoded, 0, decoded.length);
    return hashBytes(decoded, 0, decoded.length);
  }

  /** The dictionary code of a string span: by its bytes, or by its decoded text when it has escapes. */
  private codeOfSpan(dictionary: ByteDictionary, bytes: Buffer, start: number, end: number, escaped: boolean): number {
    return escaped ? this.codeOfString(dictionary, decodeJsonString(bytes, start, end)) : dictionary.code(bytes, start, end, hashBytes(bytes, start, end));
  }

  /** The exact path: decode, JSON.parse, the SPEC's rules. */
  private parseSlowly(bytes: Buffer, start: number, end: number): void {
    let text: string;
    try {
      text = this.decoder.decode(bytes.subarray(start, end));
    } catch {
      this.tally.lines++;
      this.reject('invalid_json', 'not valid UTF-8');
      return;
    }
    if (text.trim() === '') return;
    this.tally.lines++;
    const event = parseEventJson(text);
    if ('reason' in event) this.reject(event.reason, event.detail);
    else this.append(event);
  }

  private append(event: EventFields): void {
    const id = this.encoder.encode(event.id);
    this.id.append(id, 0, id.length);
    const userId = this.encoder.encode(event.userId ?? '');
    this.userId.append(userId, 0, userId.length);
    this.pushRow(
      hashBytes(id, 0, id.length),
      event.type,
      event.domain === null ? -1 : this.codeOfString(this.domain, event.domain),
      event.userId === null ? NULL_HASH : hashBytes(userId, 0, userId.length),
      event.userId === null ? 1 : 0,
      event.country === null ? -1 : this.codeOfString(this.country, event.country),
      event.token === null ? -1 : this.token.code(event.token),
    );
    if (this.keepDatetime) this.datetimeCodes.push(event.datetime === null ? -1 : this.codeOfString(this.datetime, event.datetime));
  }

  /** One accepted row, whichever path read it, once its id and user id bytes are appended. */
  private pushRow(idHash: number, type: number, domainCode: number, userIdHash: number, userIdNull: number, countryCode: number, tokenCode: number): void {
    this.idOffsets.push(this.id.length);
    this.idHashes.push(idHash);
    this.type.push(type);
    this.domainCodes.push(domainCode);
    this.userIdOffsets.push(this.userId.length);
    this.userIdHashes.push(userIdHash);
    this.userIdNull.push(userIdNull);
    this.countryCodes.push(countryCode);
    this.tokenCodes.push(tokenCode);
    this.line.push(this.lineNumber);
  }

  /** A decoded value's code: by its UTF-8 bytes, the same key as the fast path's raw (escape-free) bytes. */
  private codeOfString(dictionary: ByteDictionary, value: string): number {
    const bytes = this.encoder.encode(value);
    return dictionary.code(bytes, 0, bytes.length, hashBytes(bytes, 0, bytes.length));
  }

  private reject(reason: RejectReason, detail: string): void {
    this.tally.report({ reason, file: this.file, line: this.lineNumber, detail });
  }
}

/** The first row from `from` whose scan dictionary entry has no code yet (`rows` when none has). */
function firstUnresolved(entries: Int32Array, from: number, rows: number, entryCodes: Int32Array): number {
  for (let row = from; row < rows; row++) if (entries[row]! >= 0 && entryCodes[entries[row]!]! < 0) return row;
  return rows;
}
