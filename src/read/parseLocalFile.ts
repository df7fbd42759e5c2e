import { closeSync, createReadStream, fstatSync, openSync, readSync } from 'node:fs';
import { Buffer } from 'node:buffer';
import { createGunzip } from 'node:zlib';
import { ConsentMetricsError } from '../errors.ts';
import { FileParser } from './FileParser.ts';
import type { FileParserOptions, ParsedFile } from './ParsedFile.ts';
import { isGzip } from './gunzipIfNeeded.ts';
import { pushInBlocks } from './pushInBlocks.ts';

/** Bytes read at a time, straight into the parser's memory. */
const CHUNK_BYTES = 8 << 20;

/**
 * A byte range of an uncompressed file, as a split gives it: the split reads the lines that start
 * in `[start, end)`, through the newline of the last one (see {@link lineStartAtOrAfter}).
 *
 * @example
 * const range: ByteRange = { start: 128 << 20, end: 256 << 20 };
 */
export interface ByteRange {
  start: number;
  end: number;
}

/**
 * Reads and parses one local file (plain, or gzip by its magic bytes), or with `range` the lines of
 * one split of a plain file. Errors carry the Node code (`ENOENT`, `Z_DATA_ERROR`...) for the caller
 * to turn into a one-line message. `options` go to the FileParser.
 */
export async function parseLocalFile(path: string, describe: string, options: FileParserOptions = {}, range?: ByteRange): Promise<ParsedFile> {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    if (range) {
      const from = lineStartAtOrAfter(fd, range.start, size);
      const to = lineStartAtOrAfter(fd, range.end, size);
      const parser = new FileParser(describe, Math.max(0, to - from), { ...options, midFile: from > 0 });
      for (let position = from; position < to;) {
        const read = parser.pushFrom((into, offset, length) => readSync(fd, into, offset, length, position), Math.min(CHUNK_BYTES, to - position));
        if (read === 0) break; // the file shrank while it was read: its lines so far
        position += read;
      }
      return parser.finish();
    }
    const parser = new FileParser(describe, size, options);
    const head = Buffer.alloc(2);
    if (isGzip(head.subarray(0, readSync(fd, head, 0, 2, 0)))) {
      await pushInBlocks(parser, createReadStream(path).pipe(createGunzip()));
      return parser.finish();
    }
    let position = 0;
    for (let read = 1; read > 0; position += read) read = parser.pushFrom((into, offset, length) => readSync(fd, into, offset, length, position), CHUNK_BYTES);
    return parser.finish();
  } finally {
    closeSync(fd);
  }
}

/** Bytes read at a time while looking for the newline that ends a split's first or last line. */
const SEEK_BYTES = 64 << 10;

/**
 * Where the first line that starts at or after `position` starts: 0 at 0; otherwise just past the
 * first newline at or after `position - 1`; `size` when no line starts there. Split k reads from
 * this of its start to this of its end, so each line belongs to exactly one split, a split whose
 * start falls inside a line leaves that line to the split before, and a line longer than a split
 * leaves the splits it covers empty.
 */
export function lineStartAtOrAfter(fd: number, position: number, size: number): number {
  if (position <= 0) return 0;
  if (position >= size) return size;
  const buffer = Buffer.allocUnsafe(SEEK_BYTES);
  for (let at = position - 1; at < size;) {
    const read = readSync(fd, buffer, 0, Math.min(SEEK_BYTES, size - at), at);
    if (read === 0) break;
    const newline = buffer.subarray(0, read).indexOf(0x0a);
    if (newline >= 0) return at + newline + 1;
    at += read;
  }
  return size;
}

/**
 * {@link parseLocalFile} on this thread, with its errors as a parser thread gives them: one line,
 * `cannot read <describe>: <code>` (`options` go to the FileParser). Local files read this way go straight into the parser's memory:
 * a stream's 64 KiB chunks cost as many buffers to collect, ~2 full collections a partition.
 *
 * @example
 * const parsed = await parseLocalFileHere('/data/datehour=2021-01-23-10/part-0.json', 'datehour=2021-01-23-10/part-0.json');
 */
export async function parseLocalFileHere(path: string, describe: string, options: FileParserOptions = {}, range?: ByteRange): Promise<ParsedFile> {
  try {
    return await parseLocalFile(path, describe, options, range);
  } catch (error) {
    throw readFailure(describe, error);
  }
}

/**
 * A failure to read `describe` as one line, `cannot read <describe>: <code>` (the Node code, or the
 * message); a ConsentMetricsError, already one line, as it is.
 *
 * @example
 * throw readFailure('datehour=2021-01-23-10/part-0.json', error);
 */
export function readFailure(describe: string, error: unknown): ConsentMetricsError {
  if (error instanceof ConsentMetricsError) return error;
  const { code, message } = error as NodeJS.ErrnoException;
  return new ConsentMetricsError(`cannot read ${describe}: ${code ?? message}`);
}
