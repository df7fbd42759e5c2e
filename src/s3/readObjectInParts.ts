import type { S3Client } from '@aws-sdk/client-s3';
import { readObject } from './readObject.ts';

/**
 * Bytes of one ranged GET of a large object: 8 MiB, the part size AWS suggests for byte-range fetches
 * (large enough that a request's latency is small beside its transfer, small enough to spread one
 * object over several connections).
 */
export const PART_BYTES = 8 << 20;

/**
 * Objects up to this size are one GET: a parsing thread asks for its next object while it reads one, so
 * it has two connections anyway, and an object of 16 MiB takes ~0.2 s over one. Above it, a thread would
 * wait on one connection for seconds, and parts are read beside each other.
 */
export const SPLIT_ABOVE = 2 * PART_BYTES;

/**
 * Parts of one object in flight at once: a connection to S3 carries ~90 MB/s, and a core parses ~350 MB/s
 * (docs/performance.md), so four connections keep one parsing thread fed.
 */
export const PARTS_IN_FLIGHT = 4;

/**
 * What is known of an object from its listing.
 *
 * @example
 * const listed: ListedObject = { bucket: 'events', key: 'raw/datehour=2021-01-23-10/part-0.json', size: 16_024_908, etag: '"9b2c..."' };
 */
export interface ListedObject {
  /** The bucket. */
  bucket: string;
  /** The object's key in it. */
  key: string;
  /** Bytes, as listed; unknown: read in one GET. */
  size?: number;
  /** ETag, as listed: every part is read from this version (`If-Match`). */
  etag?: string;
}

/**
 * An object's bytes in order, read as `readObject` reads (resumed, hedged): one GET up to
 * {@link PART_BYTES}, above it parts of that size, {@link PARTS_IN_FLIGHT} at once, each its own
 * `Range` of the listed version. The first part's request is sent at once, so a caller can open the next
 * object while it still reads this one; the others start when the bytes are read. The part being read
 * streams; the ones after it wait whole in memory, so at most `parallel` parts are held.
 *
 * @example
 * for await (const chunk of await readObjectInParts(client, { bucket: 'events', key, size, etag })) parser.push(chunk);
 */
export async function readObjectInParts(
  s3: S3Client,
  { bucket, key, size, etag }: ListedObject,
  { partBytes = PART_BYTES, parallel = PARTS_IN_FLIGHT, splitAbove = SPLIT_ABOVE }: { partBytes?: number; parallel?: number; splitAbove?: number } = {},
): Promise<AsyncIterable<Uint8Array>> {
  if (size === undefined || size <= splitAbove) return readObject(s3, bucket, key, { etag });
  const ranges = Array.from({ length: Math.ceil(size / partBytes) }, (_, index) => ({ start: index * partBytes, end: Math.min(size, (index + 1) * partBytes) - 1 }));
  const open = (index: number) => readObject(s3, bucket, key, { range: ranges[index]!, etag });
  const first = await open(0);
  return partsInOrder(first, ranges.length, open, parallel);
}

async function* partsInOrder(
  first: AsyncIterable<Uint8Array>,
  parts: number,
  open: (index: number) => Promise<AsyncIterable<Uint8Array>>,
  parallel: number,
): AsyncGenerator<Uint8Array> {
  // Parts after the one being read, each read whole into memory as it arrives.
  const ahead: Promise<Uint8Array[]>[] = [];
  const readAhead = (index: number) => {
    const whole = open(index).then(async (body) => {
      const chunks: Uint8Array[] = [];
      for await (const chunk of body) chunks.push(chunk);
      return chunks;
    });
    whole.catch(() => {}); // awaited in order below; a later part's failure must not go unhandled meanwhile
    ahead.push(whole);
  };
  let next = 1;
  try {
    for (; next < Math.min(parts, parallel); next++) readAhead(next);
    yield* first;
    while (ahead.length > 0) {
      const chunks = await ahead.shift()!;
      if (next < parts) readAhead(next++);
      yield* chunks;
    }
  } finally {
    for (const pending of ahead) pending.catch(() => {}); // a consumer that stops early leaves them to finish and be dropped
  }
}
