import { pipeline, Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';

/** Whether bytes start with the gzip magic number. */
export function isGzip(head: Uint8Array): boolean {
  return head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b;
}

/**
 * Passes a byte stream through, decompressing it when it starts with the gzip magic bytes
 * (so a `.gz` file is read transparently, and so is a compressed file without the suffix).
 * Plain bytes come straight from the stream's own iterator after the first chunk: no stage of ours
 * between a chunk and its reader. A reader that stops early closes the stream, gzip or not.
 *
 * @example
 * for await (const chunk of gunzipIfNeeded(await source.open(key))) parser.push(chunk);
 */
export function gunzipIfNeeded(chunks: AsyncIterable<Uint8Array>): AsyncIterable<Uint8Array> {
  return {
    [Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
      const iterator = chunks[Symbol.asyncIterator]();
      let rest: AsyncIterator<Uint8Array> | undefined;
      const start = async (): Promise<IteratorResult<Uint8Array>> => {
        const first = await iterator.next();
        if (first.done) return first;
        if (!isGzip(first.value)) {
          rest = iterator;
          return first;
        }
        rest = gunzip(first.value, iterator)[Symbol.asyncIterator]();
        return rest.next();
      };
      let started: Promise<IteratorResult<Uint8Array>> | undefined;
      return {
        next() {
          if (rest) return rest.next();
          if (!started) return (started = start()); // the first call decides the kind
          return started.then((first) => (first.done ? first : rest!.next())); // one made before it settled reads on after it
        },
        async return() {
          await started?.catch(() => {});
          if (rest && rest !== iterator) await rest.return?.(); // the gunzip stream
          await iterator.return?.(); // the source, whose close need not wait for the stream's teardown
          return { done: true, value: undefined };
        },
      };
    },
  };
}

/** The decompressed bytes of `head`, then of the rest of `iterator`; stopping it closes `iterator`. */
function gunzip(head: Uint8Array, iterator: AsyncIterator<Uint8Array>): AsyncIterable<Uint8Array> {
  async function* all(): AsyncGenerator<Uint8Array> {
    try {
      yield head;
      for (let next = await iterator.next(); !next.done; next = await iterator.next()) yield next.value;
    } finally {
      await iterator.return?.();
    }
  }
  const unzipped = createGunzip();
  pipeline(Readable.from(all()), unzipped, () => {}); // an error or an early stop destroys both ends; the reader sees the error
  return unzipped;
}
