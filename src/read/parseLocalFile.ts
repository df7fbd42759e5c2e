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
 * Reads and parses one local file (plain, or gzip by its magic bytes). Errors carry the Node code
 * (`ENOENT`, `Z_DATA_ERROR`...) for the caller to turn into a one-line message. `options` go to the
 * FileParser.
 */
export async function parseLocalFile(path: string, describe: string, options: FileParserOptions = {}): Promise<ParsedFile> {
  const fd = openSync(path, 'r');
  const parser = new FileParser(describe, fstatSync(fd).size, options);
  try {
    const head = Buffer.alloc(2);
    if (isGzip(head.subarray(0, readSync(fd, head, 0, 2, 0)))) {
      await pushInBlocks(parser, createReadStream(path).pipe(createGunzip()));
      return parser.finish();
    }
    let position = 0;
    for (let read = 1; read > 0; position += read) read = parser.pushFrom((into, offset, length) => readSync(fd, into, offset, length, position), CHUNK_BYTES);
  } finally {
    closeSync(fd);
  }
  return parser.finish();
}

/**
 * {@link parseLocalFile} on this thread, with its errors as a parser thread gives them: one line,
 * `cannot read <describe>: <code>` (`options` go to the FileParser). Local files read this way go straight into the parser's memory:
 * a stream's 64 KiB chunks cost as many buffers to collect, ~2 full collections a partition.
 *
 * @example
 * const parsed = await parseLocalFileHere('/data/datehour=2021-01-23-10/part-0.json', 'datehour=2021-01-23-10/part-0.json');
 */
export async function parseLocalFileHere(path: string, describe: string, options: FileParserOptions = {}): Promise<ParsedFile> {
  try {
    return await parseLocalFile(path, describe, options);
  } catch (error) {
    if (error instanceof ConsentMetricsError) throw error;
    const { code, message } = error as NodeJS.ErrnoException;
    throw new ConsentMetricsError(`cannot read ${describe}: ${code ?? message}`);
  }
}
