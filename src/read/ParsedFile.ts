import type { Problem, RejectReason } from '../report/Tally.ts';
import type { DictionaryColumn } from './columnBuilders.ts';

export type { DictionaryColumn } from './columnBuilders.ts';

/**
 * One file's accepted events as typed arrays, plus what was rejected. Plain data: a worker thread
 * hands it to the main thread with its buffers transferred, not copied.
 *
 * @example
 * const parsed: ParsedFile = new FileParser('part-0.json').finish();
 * const table = partitionTable('2021-01-23-10', [parsed]);
 */
export interface ParsedFile {
  /** Where the lines came from, as given to the parser. */
  file: string;
  /** Accepted events: the length of every per-row array. */
  rows: number;
  /** Each id's UTF-8 bytes (escapes decoded), one after another; row i is `idBytes[idOffsets[i], idOffsets[i + 1])`. */
  idBytes: Uint8Array;
  /** Offsets of each row's id in `idBytes`. */
  idOffsets: Int32Array;
  /** Hash of each id's bytes (`hashBytes`), for deduplication. */
  idHashes: Int32Array;
  /** Index into EVENT_TYPES. */
  type: Int32Array;
  /** Each row's domain. */
  domain: DictionaryColumn;
  /** User ids, like ids: bytes, offsets, hashes; `userIdNull[i]` is 1 where the user id is null. */
  userIdBytes: Uint8Array;
  /** Offsets of each row's user id in `userIdBytes`. */
  userIdOffsets: Int32Array;
  /** Hash of each row's user id bytes (`hashBytes`). */
  userIdHashes: Int32Array;
  /** 1 where the row's user id is null. */
  userIdNull: Uint8Array;
  /** Each row's country (`user.country`). */
  country: DictionaryColumn;
  /**
   * Raw token JSON text per row. With `judgeTokens`, the tokens the scan judged are not decoded: they
   * share one code per verdict, whose value is empty (see `tokenVerdicts`).
   */
  token: DictionaryColumn;
  /**
   * Per token code, what the WebAssembly scan read in the token itself: 1 consent, 0 none (a valid
   * token either way); -1 where it did not judge it (escapes in the token's own JSON, invalid JSON...),
   * and the value is then the text to parse.
   */
  tokenVerdicts: Int8Array;
  /** With the `datetime` option: each row's `datetime` (null when absent or not a string). */
  datetime?: DictionaryColumn;
  /** 1-based line number of each row (in its file: a split's are shifted by `shiftLines` once the splits before it are read). */
  line: Int32Array;
  /** Lines read, blank ones included: the lines a later split of the same file starts after. */
  lineCount: number;
  /** Bytes read (decompressed). */
  bytes: number;
  /** Milliseconds from the parser's creation to `finish()`: reading and parsing, on the thread that parsed. */
  parseMilliseconds: number;
  /** Non-blank lines read (tally counts). */
  lines: number;
  /** Lines left out, by reason. */
  rejected: Record<RejectReason, number>;
  /** Always 0 here: tokens are judged when expanded. */
  invalidTokens: number;
  /** The first few problems of each reason, in line order. */
  examples: Problem[];
}

/**
 * How a {@link FileParser} reads.
 *
 * @example
 * const parser = new FileParser('part-0.json', 0, { judgeTokens: true });
 */
export interface FileParserOptions {
  /** Leave the tokens the scan judged undecoded (see {@link ParsedFile.token}): for a caller that wants consent, not texts. Default: false. */
  judgeTokens?: boolean;
  /** Keep each event's `datetime` ({@link ParsedFile.datetime}); the metrics do not read it. Default: false. */
  datetime?: boolean;
  /** The bytes start after a line of the file, not at its start: a byte-order mark there is not skipped. Default: false. */
  midFile?: boolean;
}

/**
 * Where `FileParser.reserve` made room for bytes.
 *
 * @example
 * const { into, at }: ReservedRoom = parser.reserve(chunk.length);
 */
export interface ReservedRoom {
  /** The parser's memory. */
  into: Uint8Array;
  /** Where the bytes go in it. */
  at: number;
}

/** The buffers of a parsed file, for `postMessage(file, transferList(file))`. */
export function transferList(file: ParsedFile): ArrayBuffer[] {
  return [file.idBytes, file.idOffsets, file.idHashes, file.type, file.line, file.domain.codes, file.country.codes, file.token.codes, file.tokenVerdicts,
    file.userIdBytes, file.userIdOffsets, file.userIdHashes, file.userIdNull, ...(file.datetime ? [file.datetime.codes] : [])]
    .map((array) => array.buffer as ArrayBuffer);
}
