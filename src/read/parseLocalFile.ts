import { closeSync, createReadStream, fstatSync, openSync, readSync } from 'node:fs';
import { Buffer } from 'node:buffer';
import { createGunzip } from 'node:zlib';
import { FileParser, type ParsedFile } from './FileParser.ts';
import { isGzip } from './gunzipIfNeeded.ts';

/** One read buffer per thread, reused for every file: fresh buffers per file cost page faults. */
let readBuffer = Buffer.alloc(0);

/**
 * Reads and parses one local file (plain, or gzip by its magic bytes). Errors carry the Node code
 * (`ENOENT`, `Z_DATA_ERROR`...) for the caller to turn into a one-line message.
 */
export async function parseLocalFile(path: string, describe: string): Promise<ParsedFile> {
  if (readBuffer.length === 0) readBuffer = Buffer.allocUnsafe(8 << 20);
  const fd = openSync(path, 'r');
  const parser = new FileParser(describe, fstatSync(fd).size);
  try {
    const head = readSync(fd, readBuffer, 0, readBuffer.length, 0);
    if (isGzip(readBuffer.subarray(0, head))) {
      for await (const chunk of createReadStream(path).pipe(createGunzip())) parser.push(chunk);
      return parser.finish();
    }
    parser.push(readBuffer.subarray(0, head));
    for (let position = head, read = head; read > 0; position += read) {
      read = readSync(fd, readBuffer, 0, readBuffer.length, position);
      parser.push(readBuffer.subarray(0, read));
    }
  } finally {
    closeSync(fd);
  }
  return parser.finish();
}
