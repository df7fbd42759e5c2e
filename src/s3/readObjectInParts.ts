import type { S3Client } from '@aws-sdk/client-s3';
import { readObject } from './readObject.ts';

/**
 * Bytes of one ranged GET of a large object: 8 MiB, the part size AWS suggests for byte-range fetches
 * (large enough that a request's latency is small beside its transfer, small enough to spread one
 * object over several connections).
 *
 * @example
 * await readObjectInParts(client, listed, { partBytes: PART_BYTES * 2 }); // 16 MiB parts
 */
export const PART_BYTES = 8 << 20;

/**
 * Objects up to this size are one GET: a parsing thread reads several objects at once, so it has several
 * connections anyway, and an object of 16 MiB takes ~0.2 s over one. Above it, a thread would wait on one
 * connection for seconds, and parts are read beside each other.
 *
 * @example
 * await readObjectInParts(client, listed, { splitAbove: SPLIT_ABOVE * 4 }); // split only above 64 MiB
 */
export const SPLIT_ABOVE = 2 * PART_BYTES;

/**
 * Parts of one object in flight at once: a connection to S3 carries ~90 MB/s, and a core parses ~350 MB/s
 * (docs/performance.md), so four connections keep one parsing thread fed.
 *
 * @example
 * await readObjectInParts(client, listed, { parallel: PARTS_IN_FLIGHT * 2 });
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
 * `Range` of the listed version. The part being read streams; the ones after it are read whole into
 * memory beside it, within a budget of 4 parts (32 MiB) for all the objects a thread reads.
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

/** Parts a thread holds read ahead, over all the objects it reads: the bound on their memory (32 MiB). */
const READ_AHEAD_PARTS = 4;
let readAheadFree = READ_AHEAD_PARTS;

/**
 * Yields `first`, then parts 1, 2, ... in order. Up to `parallel - 1` parts after the one being read are
 * read whole into memory beside it, while the thread's read-ahead budget lasts; a part the budget did not
 * cover is read as a stream when its turn comes (never waiting on a budget another object holds).
 */
async function* partsInOrder(
  first: AsyncIterable<Uint8Array>,
  parts: number,
  open: (index: number) => Promise<AsyncIterable<Uint8Array>>,
  parallel: number,
): AsyncGenerator<Uint8Array> {
  const ahead = new Map<number, Promise<Uint8Array[]>>();
  let current = 0;
  let started = 1;
  const readAhead = () => {
    for (; started < parts && started < current + parallel && readAheadFree > 0; started++) {
      readAheadFree--;
      const whole = open(started).then(async (body) => {
        const chunks: Uint8Array[] = [];
        for await (const chunk of body) chunks.push(chunk);
        return chunks;
      });
      whole.catch(() => {}); // awaited in order below; a later part's failure must not go unhandled meanwhile
      ahead.set(started, whole);
    }
  };
  try {
    readAhead();
    yield* first;
    for (current = 1; current < parts; current++) {
      const whole = ahead.get(current);
      if (whole) {
        ahead.delete(current);
        let chunks: Uint8Array[];
        try {
          chunks = await whole;
        } finally {
          readAheadFree++;
        }
        readAhead();
        yield* chunks;
      } else {
        started = Math.max(started, current + 1);
        readAhead();
        yield* await open(current);
      }
    }
  } finally {
    // A consumer that stops early: the parts still coming give their budget back when they end.
    for (const pending of ahead.values()) void pending.then(() => readAheadFree++, () => readAheadFree++);
  }
}
