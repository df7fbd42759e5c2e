import { ConsentMetricsError } from '../errors.ts';
import { FileParser } from './FileParser.ts';
import type { FileParserOptions, ParsedFile } from './ParsedFile.ts';
import { gunzipIfNeeded } from './gunzipIfNeeded.ts';

/**
 * Bytes the parser scans at a time from a stream: a socket gives 64 KiB chunks (gunzip 16 KiB), and a
 * scan per chunk made S3 objects slower to parse than local files, read 8 MiB at a time.
 */
const BLOCK_BYTES = 4 << 20;

/**
 * Parses a stream's chunks in blocks of {@link BLOCK_BYTES}: each chunk is copied into the parser's
 * memory as it arrives (so it is garbage at once, never kept across a collection), and the block is
 * scanned when full.
 *
 * @example
 * await pushInBlocks(parser, gunzipIfNeeded(await source.open(key)));
 */
export async function pushInBlocks(parser: FileParser, chunks: AsyncIterable<Uint8Array>, blockBytes = BLOCK_BYTES): Promise<void> {
  let block = parser.reserve(blockBytes);
  let filled = 0;
  for await (let chunk of chunks) {
    while (chunk.length > 0) {
      const part = chunk.subarray(0, blockBytes - filled);
      block.into.set(part, block.at + filled);
      filled += part.length;
      chunk = chunk.subarray(part.length);
      if (filled === blockBytes) {
        parser.commit(filled);
        (block = parser.reserve(blockBytes)), (filled = 0);
      }
    }
  }
  parser.commit(filled);
}

/**
 * Parses one file from its byte stream (gzip by its magic bytes), as the bytes arrive; an error that
 * is not already one line names the file (`cannot read <describe>: ...`).
 *
 * @example
 * const parsed = await parseStream(() => source.open(key), source.describe(key), source.sizeOf?.(key));
 */
export async function parseStream(open: () => Promise<AsyncIterable<Uint8Array>>, describe: string, expectedBytes = 0, options: FileParserOptions = {}): Promise<ParsedFile> {
  const parser = new FileParser(describe, expectedBytes, options);
  try {
    await pushInBlocks(parser, gunzipIfNeeded(await open()));
  } catch (error) {
    if (error instanceof ConsentMetricsError) throw error;
    throw new ConsentMetricsError(`cannot read ${describe}: ${(error as Error).message}`);
  }
  return parser.finish();
}
