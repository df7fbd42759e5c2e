import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';

/** Whether bytes start with the gzip magic number. */
export function isGzip(head: Uint8Array): boolean {
  return head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b;
}

/**
 * Passes a byte stream through, decompressing it when it starts with the gzip magic bytes
 * (so a `.gz` file is read transparently, and so is a compressed file without the suffix).
 */
export async function* gunzipIfNeeded(chunks: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  const iterator = chunks[Symbol.asyncIterator]();
  const first = await iterator.next();
  if (first.done) return;
  async function* all(): AsyncGenerator<Uint8Array> {
    yield first.value;
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) yield next.value;
  }
  const head = first.value;
  if (!isGzip(head)) {
    yield* all();
    return;
  }
  const source = Readable.from(all());
  const gunzip = createGunzip();
  source.once('error', (error) => gunzip.destroy(error));
  yield* source.pipe(gunzip);
}
