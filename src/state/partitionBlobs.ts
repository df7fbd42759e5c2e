// The four objects the state keeps of a partition (docs/state.md), to and from their columns.
import type { RowPart } from '../metrics/countRows.ts';
import { hashBytes } from '../read/hashBytes.ts';
import { decodeBlob, encodeBlob, type BlobColumn } from './stateBlobs.ts';
import { SECOND_HASH_SEED, type IdColumn } from './EarlierIds.ts';

/** A partition's files as counting reads them, each with its ids. */
export interface PartitionRows {
  files: (RowPart & { idBytes: Uint8Array; idOffsets: Int32Array; idHashes: Int32Array })[];
}

/** What a decoded partition gives: each file's columns for counting, and the partition's ids as one column. */
export interface LoadedPartition {
  parts: RowPart[];
  ids: IdColumn & { rows: number; idHashes: Int32Array };
}

type Expect = { datehour: string; rows: number };

/** Each file's counting columns, gzip'd. User id hashes are not kept: they are made again on load. */
export async function encodeEvents(datehour: string, files: readonly RowPart[]): Promise<Uint8Array> {
  const columns: Record<string, BlobColumn> = { fileRows: Int32Array.from(files, (file) => file.rows) };
  files.forEach((file, index) => {
    columns[`type${index}`] = Uint8Array.from(file.type.subarray(0, file.rows));
    columns[`consent${index}`] = file.consent.subarray(0, file.rows);
    columns[`domainCodes${index}`] = file.domain.codes.subarray(0, file.rows);
    columns[`domainValues${index}`] = file.domain.values;
    columns[`countryCodes${index}`] = file.country.codes.subarray(0, file.rows);
    columns[`countryValues${index}`] = file.country.values;
    columns[`userIdOffsets${index}`] = file.userIdOffsets.subarray(0, file.rows + 1);
    columns[`userIdBytes${index}`] = file.userIdBytes.subarray(file.userIdOffsets[0]!, file.userIdOffsets[file.rows]!);
    columns[`userIdNull${index}`] = file.userIdNull.subarray(0, file.rows);
  });
  return encodeBlob('events', datehour, files.reduce((sum, file) => sum + file.rows, 0), columns);
}

export async function decodeEvents(bytes: Uint8Array, expect: Expect, describe: string): Promise<RowPart[]> {
  const columns = await decodeBlob(bytes, { kind: 'events', ...expect }, describe);
  return [...(columns.fileRows as Int32Array)].map((rows, index) => {
    const stored = columns[`userIdOffsets${index}`] as Int32Array;
    const userIdOffsets = stored.map((offset) => offset - stored[0]!);
    const userIdBytes = columns[`userIdBytes${index}`] as Uint8Array;
    const userIdNull = columns[`userIdNull${index}`] as Uint8Array;
    const userIdHashes = new Int32Array(rows);
    for (let row = 0; row < rows; row++) userIdHashes[row] = userIdNull[row] ? 0 : hashBytes(userIdBytes, userIdOffsets[row]!, userIdOffsets[row + 1]!);
    return {
      rows,
      type: Int32Array.from(columns[`type${index}`] as Uint8Array),
      consent: columns[`consent${index}`] as Uint8Array,
      domain: { codes: columns[`domainCodes${index}`] as Int32Array, values: columns[`domainValues${index}`] as string[] },
      country: { codes: columns[`countryCodes${index}`] as Int32Array, values: columns[`countryValues${index}`] as string[] },
      userIdBytes, userIdOffsets, userIdHashes, userIdNull,
    };
  });
}

/** The partition's ids, files one after another, as one column. */
export function joinIds(files: readonly { rows: number; idBytes: Uint8Array; idOffsets: Int32Array; idHashes: Int32Array }[]): LoadedPartition['ids'] {
  const rows = files.reduce((sum, file) => sum + file.rows, 0);
  const bytes = new Uint8Array(files.reduce((sum, file) => sum + file.idOffsets[file.rows]! - file.idOffsets[0]!, 0));
  const offsets = new Int32Array(rows + 1);
  const idHashes = new Int32Array(rows);
  let row = 0;
  let byte = 0;
  for (const file of files) {
    const first = file.idOffsets[0]!;
    bytes.set(file.idBytes.subarray(first, file.idOffsets[file.rows]!), byte);
    for (let at = 0; at < file.rows; at++) offsets[row + at + 1] = byte + file.idOffsets[at + 1]! - first;
    idHashes.set(file.idHashes.subarray(0, file.rows), row);
    byte += file.idOffsets[file.rows]! - first;
    row += file.rows;
  }
  return { rows, bytes, offsets, idHashes };
}

export async function encodeIds(datehour: string, ids: LoadedPartition['ids']): Promise<Uint8Array> {
  return encodeBlob('ids', datehour, ids.rows, { idBytes: ids.bytes, idOffsets: ids.offsets });
}

export async function decodeIds(bytes: Uint8Array, expect: Expect, describe: string): Promise<IdColumn> {
  const columns = await decodeBlob(bytes, { kind: 'ids', ...expect }, describe);
  return { bytes: columns.idBytes as Uint8Array, offsets: columns.idOffsets as Int32Array };
}

/** Both hashes of each id: what a later run holds of this partition's ids. */
export async function encodeHashes(datehour: string, ids: LoadedPartition['ids']): Promise<Uint8Array> {
  const secondHashes = new Int32Array(ids.rows);
  for (let row = 0; row < ids.rows; row++) secondHashes[row] = hashBytes(ids.bytes, ids.offsets[row]!, ids.offsets[row + 1]!, SECOND_HASH_SEED);
  return encodeBlob('hashes', datehour, ids.rows, { hashes: ids.idHashes, secondHashes }, 0);
}

export async function decodeHashes(bytes: Uint8Array, expect: Expect, describe: string): Promise<{ hashes: Int32Array; secondHashes: Int32Array }> {
  const columns = await decodeBlob(bytes, { kind: 'hashes', ...expect }, describe);
  return { hashes: columns.hashes as Int32Array, secondHashes: columns.secondHashes as Int32Array };
}

/** A partition's duplicates (1 a row), as of the run that counted it: what a later run with a lookback holds of its kept ids. */
export async function encodeCounted(datehour: string, duplicates: Uint8Array): Promise<Uint8Array> {
  return encodeBlob('counted', datehour, duplicates.length, { duplicates });
}

export async function decodeCounted(bytes: Uint8Array, expect: Expect, describe: string): Promise<Uint8Array> {
  return (await decodeBlob(bytes, { kind: 'counted', ...expect }, describe)).duplicates as Uint8Array;
}
