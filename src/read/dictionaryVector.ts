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
