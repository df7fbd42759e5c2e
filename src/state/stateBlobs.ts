import { promisify } from 'node:util';
import { constants, gunzip as gunzipCallback, gzip as gzipCallback, type ZlibOptions } from 'node:zlib';
import { ConsentMetricsError } from '../errors.ts';

/** A column of a state blob: typed arrays as they are, lists of strings as JSON. */
export type BlobColumn = Uint8Array | Int32Array | (string | null)[];

// zlib's asynchronous calls run on libuv's thread pool: a run's blobs are packed beside its other work.
// In chunks of 1 MiB, not the default 16 KiB: each chunk is a round trip through this thread, which a
// busy thread makes slow (a 3.4 MB id column took 62 ms to unpack, 11 ms alone).
const CHUNK = 1 << 20;
const gzipAsync = promisify(gzipCallback);
const gunzipAsync = promisify(gunzipCallback);
const gzip = (bytes: Uint8Array, options: ZlibOptions) => gzipAsync(bytes, { ...options, chunkSize: CHUNK });
const gunzip = (bytes: Uint8Array) => gunzipAsync(bytes, { chunkSize: CHUNK });

/** The first bytes of every state blob (before gzip): the format and its version. */
const MAGIC = 'CMSTATE1';

/**
 * Encodes named columns as one gzip blob: `CMSTATE1`, the header's length (u32), a JSON header naming
 * the blob's kind, datehour and rows and each column's type, offset and length, then each column's
 * bytes at an 8-byte aligned offset. gzip's CRC and length make a damaged blob fail to decode.
 * `level` 0 leaves it plain (for data that does not compress, such as hashes: the manifest's SHA-256
 * still checks it). Deflate's run-length strategy (matches of one byte back, then Huffman codes): on a
 * partition's ids and columns, 2.5-3x as fast as level 1's full matching and 3-4% smaller (hex ids
 * gain from the Huffman codes, not from long matches).
 *
 * @example
 * const bytes = await encodeBlob('ids', '2021-01-23-10', 2, { idOffsets: Int32Array.of(0, 1, 2) });
 */
export async function encodeBlob(kind: string, datehour: string, rows: number, columns: Record<string, BlobColumn>, level = 1): Promise<Uint8Array> {
  const parts: { name: string; type: string; bytes: Uint8Array }[] = Object.entries(columns).map(([name, column]) =>
    Array.isArray(column)
      ? { name, type: 'json', bytes: new TextEncoder().encode(JSON.stringify(column)) }
      : { name, type: column instanceof Int32Array ? 'i32' : 'u8', bytes: new Uint8Array(column.buffer, column.byteOffset, column.byteLength) });
  let offset = 0;
  const entries = parts.map(({ name, type, bytes }) => {
    const entry = { name, type, offset, length: bytes.length };
    offset += align8(bytes.length);
    return entry;
  });
  const header = new TextEncoder().encode(JSON.stringify({ kind, datehour, rows, columns: entries }));
  const start = align8(MAGIC.length + 4 + header.length);
  const out = new Uint8Array(start + offset);
  out.set(new TextEncoder().encode(MAGIC));
  new DataView(out.buffer).setUint32(MAGIC.length, header.length, true);
  out.set(header, MAGIC.length + 4);
  parts.forEach(({ bytes }, index) => out.set(bytes, start + entries[index]!.offset));
  return level === 0 ? out : new Uint8Array(await gzip(out, { level, strategy: constants.Z_RLE }));
}

/**
 * Decodes a blob of `encodeBlob`, checking that it is one, of the expected kind, datehour and rows;
 * `describe` names it in errors. Typed arrays are views on the decoded bytes (aligned).
 *
 * @example
 * const { idOffsets } = await decodeBlob(bytes, { kind: 'ids', datehour: '2021-01-23-10', rows: 2 }, 'ids of 2021-01-23-10');
 */
export async function decodeBlob(bytes: Uint8Array, expected: { kind: string; datehour: string; rows: number }, describe: string): Promise<Record<string, BlobColumn>> {
  const fail = (why: string) => new ConsentMetricsError(`state file ${describe} is damaged: ${why}`);
  let plain: Uint8Array;
  try {
    plain = bytes[0] === 0x1f && bytes[1] === 0x8b ? await gunzip(bytes) : bytes;
    if (plain.byteOffset % 8 !== 0) plain = plain.slice(); // column views need alignment (small Buffers share a pool)
  } catch (error) {
    throw fail((error as NodeJS.ErrnoException).code ?? (error as Error).message);
  }
  if (plain.length < MAGIC.length + 4) throw fail('too short');
  if (new TextDecoder().decode(plain.subarray(0, MAGIC.length)) !== MAGIC) throw fail('not a consent-metrics state file of this version');
  const headerLength = new DataView(plain.buffer, plain.byteOffset).getUint32(MAGIC.length, true);
  let header: { kind: string; datehour: string; rows: number; columns: { name: string; type: string; offset: number; length: number }[] };
  try {
    header = JSON.parse(new TextDecoder().decode(plain.subarray(MAGIC.length + 4, MAGIC.length + 4 + headerLength)));
  } catch {
    throw fail('its header is not JSON');
  }
  for (const key of ['kind', 'datehour', 'rows'] as const) {
    if (header[key] !== expected[key]) throw fail(`${key} ${JSON.stringify(header[key])}, expected ${JSON.stringify(expected[key])}`);
  }
  const start = align8(MAGIC.length + 4 + headerLength);
  const columns: Record<string, BlobColumn> = {};
  for (const { name, type, offset, length } of header.columns) {
    const at = start + offset;
    if (at + length > plain.length) throw fail(`column ${name} runs past the end`);
    if (type === 'json') columns[name] = JSON.parse(new TextDecoder().decode(plain.subarray(at, at + length)));
    else if (type === 'i32') columns[name] = new Int32Array(plain.buffer, plain.byteOffset + at, length >> 2);
    else columns[name] = plain.subarray(at, at + length);
  }
  return columns;
}

const align8 = (length: number) => (length + 7) & ~7;

/**
 * Other bytes a state keeps (a partition's output rows as Arrow IPC), gzip'd at level 1: Arrow's
 * repeated keys shrink ~7x, in ~3 ms a partition on zlib's threads.
 *
 * @example
 * const packed = await packBytes(tableToIPC(table, 'file'));
 */
export async function packBytes(bytes: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await gzip(bytes, { level: 1 }));
}

/** The bytes `packBytes` packed; a damaged file is a one-line error naming `describe`. */
export async function unpackBytes(bytes: Uint8Array, describe: string): Promise<Uint8Array> {
  try {
    return await gunzip(bytes);
  } catch (error) {
    throw new ConsentMetricsError(`state file ${describe} is damaged: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
}
