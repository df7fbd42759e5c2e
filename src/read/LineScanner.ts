import { Buffer } from 'node:buffer';
import { growMemory, wasmInstance, type WasmGlobal, type WasmMemory } from '../wasm/wasmModule.ts';

interface ScanExports {
  memory: WasmMemory;
  layout(rows: number, arenaBytes: number, entries: number, storageBytes: number): number;
  region(index: number): number;
  resetDictionary(): void;
  setKeepDatetime(keep: number): void;
  scan(start: number, end: number, final: number, lineBase: number, idBase: number, userIdBase: number): number;
  resumeAt: WasmGlobal;
  stopReason: WasmGlobal;
  linesConsumed: WasmGlobal;
}

/** Why a scan returned (assembly/scanLines.ts STOP_*). */
export const STOP = { end: 0, declined: 1, full: 2 } as const;

/** Rows a scan writes at most before it returns. */
const ROWS = 8192;
/** Bytes of ids (and of user ids) a scan copies at most before it returns. */
const ARENA_BYTES = 1 << 19;
/** Distinct domains, countries, tokens (and kept datetimes) a file may have on the scan's path (past it, lines go to JS). */
const DICTIONARY_ENTRIES = 1 << 16;
const DICTIONARY_BYTES = 8 << 20;
/** Bytes readable past the input's end: the scan reads 16 at a time. */
const PADDING = 64;
const NEWLINE = 0x0a;

/**
 * One instance of the WebAssembly line scan and the memory it works in: the input (the unfinished
 * line carried over, then the new chunk), the row columns a scan writes, and the per-file dictionary
 * of domains, countries and tokens. The views are made again whenever the memory grows.
 *
 * @example
 * const scanner = LineScanner.acquire();
 * const at = scanner.prepare(scanner.inputStart, chunk.length);
 * scanner.bytes.set(chunk, at);
 * scanner.loaded(at + chunk.length);
 * const rows = scanner.scan(scanner.inputStart, scanner.inputEnd, true, 0, 0, 0);
 * scanner.release();
 */
export class LineScanner {
  private static readonly free: LineScanner[] = [];
  private readonly exports: ScanExports;
  /** Where the input region starts: everything before it is fixed. */
  readonly inputStart: number;
  /** The input's end: the bytes loaded are `[inputStart, inputEnd)`. */
  inputEnd: number;
  /** Views over the memory (new ones after it grows). */
  bytes!: Buffer;
  view!: DataView;
  idEnds!: Int32Array;
  idHashes!: Int32Array;
  types!: Int32Array;
  userIdEnds!: Int32Array;
  userIdHashes!: Int32Array;
  userIdNulls!: Int32Array;
  domainEntries!: Int32Array;
  countryEntries!: Int32Array;
  tokenEntries!: Int32Array;
  lines!: Int32Array;
  /** With {@link keepDatetime}: each row's datetime entry (-1: none). */
  datetimeEntries!: Int32Array;
  /** Where each dictionary entry's bytes start (relative to `storage`) and their length. */
  entryStarts!: Int32Array;
  entryLengths!: Int32Array;
  /** A token entry's verdict from the scan (assembly/scanLines.ts judgeToken): 1 consent, 0 none, -1 not judged. */
  entryVerdicts!: Int32Array;
  /**
   * The code each dictionary entry has in its parser's own dictionaries (-1 until the parser first
   * meets it): reset with the dictionary, so a file's parser allocates none.
   */
  readonly entryCodes = new Int32Array(DICTIONARY_ENTRIES);
  /** Memory offsets of the id arena, the user id arena and the dictionary's bytes. */
  idArena = 0;
  userIdArena = 0;
  storage = 0;

  /** A scanner not in use by another parser of this thread (scanners are reused: the memory is the cost). */
  static acquire(): LineScanner {
    const scanner = LineScanner.free.pop() ?? new LineScanner();
    scanner.exports.resetDictionary();
    scanner.exports.setKeepDatetime(0);
    scanner.entryCodes.fill(-1);
    scanner.inputEnd = scanner.inputStart;
    return scanner;
  }

  /** Whether the scans that follow keep each event's `datetime` (in `datetimeEntries`). Reset to false by {@link acquire}. */
  keepDatetime(keep: boolean): void {
    this.exports.setKeepDatetime(keep ? 1 : 0);
  }

  /** Gives the scanner back for the next file. */
  release(): void {
    LineScanner.free.push(this);
  }

  private constructor() {
    this.exports = wasmInstance<ScanExports>(new URL('./scanLines.wasm', import.meta.url)); // assembly/scanLines.ts
    this.inputStart = this.exports.layout(ROWS, ARENA_BYTES, DICTIONARY_ENTRIES, DICTIONARY_BYTES);
    this.inputEnd = this.inputStart;
    this.reserve(this.inputStart + (1 << 20));
  }

  /**
   * Keeps the bytes `[keepFrom, inputEnd)` (an unfinished line), moved to the input's start, and
   * makes room for `length` more after them; returns where they go (then call {@link loaded}).
   */
  prepare(keepFrom: number, length: number): number {
    const kept = this.inputEnd - keepFrom;
    this.reserve(this.inputStart + kept + length + PADDING);
    if (kept > 0) this.bytes.copyWithin(this.inputStart, keepFrom, this.inputEnd);
    this.inputEnd = this.inputStart + kept;
    return this.inputEnd;
  }

  /** The input now ends at `end`; a newline and padding follow it. */
  loaded(end: number): void {
    this.inputEnd = end;
    this.bytes.fill(NEWLINE, end, end + PADDING);
  }

  /** Scans `[start, end)` (see assembly/scanLines.ts `scan`); returns the rows written to the columns. */
  scan(start: number, end: number, final: boolean, lineBase: number, idBase: number, userIdBase: number): number {
    return this.exports.scan(start, end, final ? 1 : 0, lineBase, idBase, userIdBase);
  }

  /** After a scan: where to go on, why it stopped (a {@link STOP} value), the lines it consumed. */
  get resumeAt(): number {
    return this.exports.resumeAt.value as number;
  }
  get stopReason(): number {
    return this.exports.stopReason.value as number;
  }
  get linesConsumed(): number {
    return this.exports.linesConsumed.value as number;
  }

  private reserve(bytes: number): void {
    const memory = this.exports.memory;
    growMemory(memory, bytes);
    if (this.bytes?.buffer === memory.buffer) return;
    const buffer = memory.buffer;
    const column = (index: number) => new Int32Array(buffer, this.exports.region(index), ROWS);
    this.bytes = Buffer.from(buffer);
    this.view = new DataView(buffer);
    [this.idEnds, this.idHashes, this.types, this.userIdEnds, this.userIdHashes, this.userIdNulls, this.domainEntries, this.countryEntries,
      this.tokenEntries, this.lines] = Array.from({ length: 10 }, (_, index) => column(index));
    this.datetimeEntries = column(16);
    this.idArena = this.exports.region(10);
    this.userIdArena = this.exports.region(11);
    this.entryStarts = new Int32Array(buffer, this.exports.region(12), DICTIONARY_ENTRIES);
    this.entryLengths = new Int32Array(buffer, this.exports.region(13), DICTIONARY_ENTRIES);
    this.entryVerdicts = new Int32Array(buffer, this.exports.region(15), DICTIONARY_ENTRIES);
    this.storage = this.exports.region(14);
  }
}
