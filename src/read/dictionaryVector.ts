import { Dictionary, Int32, Utf8, makeData, makeVector, vectorFromArray, type Vector } from 'apache-arrow';

/** The Arrow type of every low-cardinality string column: utf8 values behind int32 codes. */
export const dictionaryUtf8 = () => new Dictionary(new Utf8(), new Int32());

/**
 * A dictionary-encoded utf8 vector from int32 codes (-1 for null) and the values they index. The
 * codes array becomes the vector's data as it is (no copy); only the null bitmap is made.
 *
 * @example
 * dictionaryVector(Int32Array.of(0, 1, 0, -1), ['FR', 'ES']); // FR, ES, FR, null
 */
export function dictionaryVector(codes: Int32Array, values: readonly string[]): Vector<Dictionary<Utf8, Int32>> {
  return makeVector(makeData({
    type: dictionaryUtf8(),
    length: codes.length,
    ...validityOf(codes, 1),
    data: codes,
    dictionary: vectorFromArray(values as string[], new Utf8()),
  }));
}

/** A utf8 vector straight from UTF-8 bytes and offsets (no strings made), with nulls where `isNull[i]`. */
export function utf8Vector(bytes: Uint8Array, offsets: Int32Array, isNull?: Uint8Array): Vector<Utf8> {
  const length = offsets.length - 1;
  return makeVector(makeData({
    type: new Utf8(),
    length,
    ...(isNull ? validityOf(isNull, 0) : { nullCount: 0 }),
    data: bytes,
    valueOffsets: offsets,
  }));
}

/**
 * Arrow's null bitmap (bit set = valid) and null count, from codes where a negative code is null
 * (`nullIs: 1`) or from flags where 1 is null (`nullIs: 0`, i.e. valid when 0). No bitmap when
 * nothing is null, the common case, found by one scan before building anything.
 */
export function validityOf(values: Int32Array | Uint8Array, nullIs: 0 | 1): { nullCount: number; nullBitmap: Uint8Array | null } {
  const isNull = (value: number) => (nullIs === 1 ? value < 0 : value !== 0);
  let nullCount = 0;
  for (let row = 0; row < values.length; row++) if (isNull(values[row]!)) nullCount++;
  if (nullCount === 0) return { nullCount, nullBitmap: null };
  const bitmap = new Uint8Array((values.length + 7) >> 3);
  for (let row = 0; row < values.length; row++) if (!isNull(values[row]!)) bitmap[row >> 3]! |= 1 << (row & 7);
  return { nullCount, nullBitmap: bitmap };
}

/**
 * A utf8 vector from parts of rows, each given as codes into its own values (-1 or a null value for
 * null). Each part's values are encoded once into one buffer; rows then copy bytes from it.
 *
 * @example
 * utf8FromCodes([{ codes: Int32Array.of(1, -1, 0), values: ['FR', 'ES'] }]); // ES, null, FR
 */
export function utf8FromCodes(parts: readonly { codes: Int32Array; values: readonly (string | null)[] }[]): Vector {
  const rows = parts.reduce((sum, part) => sum + part.codes.length, 0);
  const offsets = new Int32Array(rows + 1);
  const isNull = new Uint8Array(rows);
  const encoded = parts.map(({ values }) => encodeValues(values));
  let at = 0;
  let length = 0;
  parts.forEach(({ codes }, index) => {
    length = rowOffsets(codes, encoded[index]!.lengths, offsets, isNull, at, length);
    at += codes.length;
  });
  // Room after the rows' bytes for a part's values: long values are copied within one buffer (no view per row).
  const room = Math.max(0, ...encoded.map(({ bytes }) => bytes.length));
  const buffer = new Uint8Array(length + room);
  at = 0;
  parts.forEach(({ codes }, index) => {
    const { bytes, starts, lengths } = encoded[index]!;
    if (lengths.length === 1 && lengths[0]! >= 0) fillRepeated(buffer, offsets[at]!, bytes, codes.length);
    else {
      buffer.set(bytes, length);
      gatherBytes(codes, buffer, length, starts, lengths, offsets, at);
    }
    at += codes.length;
  });
  return utf8Vector(buffer.subarray(0, length), offsets, isNull);
}

/** `value` `times` times from `to` (a part of one value: a file's name, a partition's datehour), by doubling copies. */
function fillRepeated(data: Uint8Array, to: number, value: Uint8Array, times: number): void {
  if (times === 0 || value.length === 0) return;
  data.set(value, to);
  const end = to + value.length * times;
  for (let filled = value.length; to + filled < end; filled *= 2) data.copyWithin(to + filled, to, Math.min(to + filled, end - filled));
}

/** Values as UTF-8 in one buffer: where each starts, and its length (-1 for null). */
function encodeValues(values: readonly (string | null)[]): { bytes: Uint8Array; starts: Int32Array; lengths: Int32Array } {
  const encoder = new TextEncoder();
  const parts = values.map((value) => (value === null ? null : encoder.encode(value)));
  const starts = new Int32Array(values.length);
  const lengths = new Int32Array(values.length);
  const bytes = new Uint8Array(parts.reduce((sum, part) => sum + (part?.length ?? 0), 0));
  let at = 0;
  parts.forEach((part, index) => {
    starts[index] = at;
    lengths[index] = part ? part.length : -1;
    if (part) bytes.set(part, at);
    at += part?.length ?? 0;
  });
  return { bytes, starts, lengths };
}

/** Offsets (and null flags) of rows `[at, at + codes.length)` from their values' lengths; returns the bytes so far. */
function rowOffsets(codes: Int32Array, lengths: Int32Array, offsets: Int32Array, isNull: Uint8Array, at: number, length: number): number {
  for (let row = 0; row < codes.length; row++) {
    const code = codes[row]!;
    const valueLength = code < 0 ? -1 : lengths[code]!;
    if (valueLength < 0) isNull[at + row] = 1;
    else length += valueLength;
    offsets[at + row + 1] = length;
  }
  return length;
}

/**
 * Each row's value bytes copied to its offset in `data`, from the values placed in `data` at `valuesAt`:
 * short values by a byte loop, longer ones by `copyWithin` (a memmove, no view made per row).
 */
function gatherBytes(codes: Int32Array, data: Uint8Array, valuesAt: number, starts: Int32Array, lengths: Int32Array, offsets: Int32Array, at: number): void {
  for (let row = 0; row < codes.length; row++) {
    const code = codes[row]!;
    if (code < 0) continue;
    const length = lengths[code]!;
    let from = valuesAt + starts[code]!;
    let to = offsets[at + row]!;
    if (length > 16) data.copyWithin(to, from, from + length);
    else for (const end = from + length; from < end; from++, to++) data[to] = data[from]!;
  }
}
