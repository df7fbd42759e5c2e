import { Dictionary, Int32, Utf8, makeData, makeVector, vectorFromArray, type Vector } from 'apache-arrow';

/** The Arrow type of every low-cardinality string column: utf8 values behind int32 codes. */
export const dictionaryUtf8 = () => new Dictionary(new Utf8(), new Int32());

/**
 * A dictionary-encoded utf8 vector from columns of strings (nulls allowed), read in order as one.
 * Each distinct string is stored once; rows hold int32 codes.
 *
 * @example
 * dictionaryVector([['FR', 'ES'], ['FR', null]]); // codes [0, 1, 0, null], dictionary ['FR', 'ES']
 */
export function dictionaryVector(parts: readonly (readonly (string | null)[])[]): Vector<Dictionary<Utf8, Int32>> {
  const length = parts.reduce((sum, part) => sum + part.length, 0);
  const codes = new Int32Array(length);
  const validity = new Uint8Array((length + 7) >> 3);
  const codeOf = new Map<string, number>();
  const values: string[] = [];
  let nullCount = 0;
  let row = 0;
  for (const part of parts) {
    for (const value of part) {
      if (value === null) {
        nullCount++;
      } else {
        let code = codeOf.get(value);
        if (code === undefined) {
          code = values.push(value) - 1;
          codeOf.set(value, code);
        }
        codes[row] = code;
        validity[row >> 3]! |= 1 << (row & 7);
      }
      row++;
    }
  }
  const data = makeData({
    type: dictionaryUtf8(),
    length,
    nullCount,
    nullBitmap: nullCount > 0 ? validity : null,
    data: codes,
    dictionary: vectorFromArray(values, new Utf8()),
  });
  return makeVector(data);
}
