import { rehashPairs, zeroedInt32, type StringDictionary } from './columnBuilders.ts';

/**
 * Token bytes already validated -> token code. Tokens are the long field (~140 bytes), compared
 * on every line: stored 4-byte aligned, they are compared a 32-bit word at a time against a DataView
 * of the chunk (V8 compiles getUint32 to one load), a quarter of the steps of a byte loop.
 */
export class TokenTable {
  private slots: Int32Array = zeroedInt32(2048); // [hash, entry + 1] pairs
  private words = new Uint32Array(1024);
  private wordCount = 0;
  private starts: number[] = [];
  private lengths: number[] = [];
  private codes: number[] = [];

  find(view: DataView, bytes: Uint8Array, start: number, end: number, hash: number): number {
    const slots = this.slots;
    const mask = (slots.length >> 1) - 1;
    const length = end - start;
    for (let slot = hash & mask; ; slot = (slot + 1) & mask) {
      const entry = slots[slot * 2 + 1]! - 1;
      if (entry < 0) return -1;
      if (slots[slot * 2] === hash && this.lengths[entry] === length && this.equals(entry, view, bytes, start, length)) return this.codes[entry]!;
    }
  }

  add(bytes: Uint8Array, start: number, end: number, hash: number, code: number): void {
    const entry = this.codes.push(code) - 1;
    const length = end - start;
    const wordsNeeded = (length + 3) >> 2;
    if (this.wordCount + wordsNeeded > this.words.length) {
      const bigger = new Uint32Array(Math.max(this.words.length * 2, this.wordCount + wordsNeeded));
      bigger.set(this.words);
      this.words = bigger;
    }
    new Uint8Array(this.words.buffer, this.wordCount * 4, wordsNeeded * 4).set(bytes.subarray(start, end));
    this.starts.push(this.wordCount);
    this.lengths.push(length);
    this.wordCount += wordsNeeded;
    this.place(hash, entry);
    if ((entry + 1) * 2 > this.slots.length >> 1) this.slots = rehashPairs(this.slots);
  }

  private equals(entry: number, view: DataView, bytes: Uint8Array, start: number, length: number): boolean {
    const words = this.words;
    const first = this.starts[entry]!;
    const whole = length >> 2;
    for (let w = 0; w < whole; w++) if (view.getUint32(start + w * 4, true) !== words[first + w]) return false;
    // The last 0-3 bytes, from the last word (little-endian), without making a view per compare.
    const last = words[first + whole]!;
    for (let i = 0; i < (length & 3); i++) if (((last >>> (i * 8)) & 0xff) !== bytes[start + whole * 4 + i]) return false;
    return true;
  }

  private place(hash: number, entry: number): void {
    const mask = (this.slots.length >> 1) - 1;
    let slot = hash & mask;
    while (this.slots[slot * 2 + 1] !== 0) slot = (slot + 1) & mask;
    this.slots[slot * 2] = hash;
    this.slots[slot * 2 + 1] = entry + 1;
  }
}

/**
 * Token texts in a line's bytes -> codes in `dictionary`: a token's JSON string body, or a token given as
 * another JSON value, looked up by its bytes and decoded (UTF-8, escapes) and validated only the first time.
 */
export class TokenCodes {
  /** Raw token bytes already validated -> token code. */
  private readonly strings = new TokenTable();
  /** The same for tokens given as JSON values other than strings (their text is not a string body). */
  private readonly values = new TokenTable();
  private readonly decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

  constructor(private readonly dictionary: StringDictionary) {}

  /**
   * The code of the token whose JSON string body is `bytes[start, end)` (`view` over the same memory);
   * -1 when the bytes are not exactly one valid JSON string body (an unescaped quote means the line is
   * some other shape).
   */
  ofString(view: DataView, bytes: Uint8Array, start: number, end: number): number {
    const hash = sampledHash(bytes, start, end);
    const known = this.strings.find(view, bytes, start, end, hash);
    if (known >= 0) return known;
    let text: string;
    try {
      text = JSON.parse(`"${this.decoder.decode(bytes.subarray(start, end))}"`);
    } catch {
      return -1;
    }
    const code = this.dictionary.code(text);
    this.strings.add(bytes, start, end, hash, code);
    return code;
  }

  /**
   * The code of a token given as a JSON value other than a string (validated JSON text at
   * `bytes[start, end)`): re-serialized as the exact path does, JSON.stringify of the parsed value.
   */
  ofValue(view: DataView, bytes: Uint8Array, start: number, end: number): number {
    const hash = sampledHash(bytes, start, end);
    const known = this.values.find(view, bytes, start, end, hash);
    if (known >= 0) return known;
    const code = this.dictionary.code(JSON.stringify(JSON.parse(this.decoder.decode(bytes.subarray(start, end)))));
    this.values.add(bytes, start, end, hash, code);
    return code;
  }
}

const FNV_OFFSET = 0x811c9dc5 | 0;
const FNV_PRIME = 0x01000193;

/** A hash of a long byte string (FNV-1a) from its length and every 8th byte; lookups still compare every byte. */
export function sampledHash(bytes: Uint8Array, start: number, end: number): number {
  let hash = Math.imul(FNV_OFFSET ^ (end - start), FNV_PRIME);
  for (let i = start; i < end; i += 8) hash = Math.imul(hash ^ bytes[i]!, FNV_PRIME);
  return Math.imul(hash ^ bytes[end - 1]!, FNV_PRIME);
}
