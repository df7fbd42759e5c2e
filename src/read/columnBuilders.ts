/**
 * A dictionary-encoded string column of one file: `codes[i]` indexes `values`, -1 is null.
 *
 * @example
 * const { codes, values }: DictionaryColumn = parsed.domain;
 * const firstDomain = codes[0] < 0 ? null : values[codes[0]];
 */
export interface DictionaryColumn {
  /** Per row, an index into `values`, or -1 for null. */
  codes: Int32Array;
  /** The distinct values, in order of first appearance. */
  values: string[];
}

/** A growable Int32Array; `finish()` returns a copy of exactly the right length (its own buffer, transferable). */
export class Int32Builder {
  private values: Int32Array;
  length = 0;

  /** @param capacity values expected; grows past it */
  constructor(capacity = 1024) {
    this.values = new Int32Array(Math.max(16, capacity));
  }

  push(value: number): void {
    if (this.length === this.values.length) this.values = grow(this.values, this.length * 2);
    this.values[this.length++] = value;
  }

  /** Appends `source[0, count)`. */
  pushAll(source: Int32Array, count: number): void {
    if (this.length + count > this.values.length) this.values = grow(this.values, Math.max(this.length * 2, this.length + count));
    this.values.set(source.subarray(0, count), this.length);
    this.length += count;
  }

  /** Appends `map[source[i]]` for i in `[0, count)`, -1 where the source is negative. */
  pushMapped(source: Int32Array, count: number, map: Int32Array): void {
    if (this.length + count > this.values.length) this.values = grow(this.values, Math.max(this.length * 2, this.length + count));
    const values = this.values;
    const at = this.length;
    this.length = at + count; // before the loop: nothing after it lacks type feedback when V8 optimizes it mid-loop
    for (let i = 0; i < count; i++) values[at + i] = source[i]! < 0 ? -1 : map[source[i]!]!;
  }

  /** A copy of exactly the values (its own buffer, transferable); the builder can be reset and reused. */
  finish(): Int32Array {
    return this.values.slice(0, this.length);
  }
}

/** Bytes appended one after another, e.g. every id of a file. */
export class ByteBuilder {
  bytes: Uint8Array;
  length = 0;

  /** @param capacity bytes expected; grows past it */
  constructor(capacity = 1 << 16) {
    this.bytes = new Uint8Array(Math.max(64, capacity));
  }

  /** Makes room for `extra` more bytes. */
  reserve(extra: number): void {
    if (this.length + extra > this.bytes.length) this.bytes = grow(this.bytes, Math.max(this.bytes.length * 2, this.length + extra));
  }

  /** Appends `source[start, end)`: short runs byte by byte (cheaper in JS than a native set()), long ones by set(). */
  append(source: Uint8Array, start: number, end: number): void {
    this.reserve(end - start);
    const bytes = this.bytes;
    let at = this.length;
    if (end - start > 256) {
      bytes.set(source.subarray(start, end), at);
      this.length = at + end - start;
      return;
    }
    for (let i = start; i < end; i++) bytes[at++] = source[i]!;
    this.length = at;
  }

  /** Appends `source[0, count)`, each value a byte. */
  pushBytes(source: Int32Array, count: number): void {
    this.reserve(count);
    const bytes = this.bytes;
    const at = this.length;
    this.length = at + count;
    for (let i = 0; i < count; i++) bytes[at + i] = source[i]!;
  }

  push(byte: number): void {
    this.reserve(1);
    this.bytes[this.length++] = byte;
  }

  /** A copy of exactly the bytes (its own buffer, transferable); the builder can be reset and reused. */
  finish(): Uint8Array {
    return this.bytes.slice(0, this.length);
  }
}

/** Distinct strings in first-seen order, each with its code. */
export class StringDictionary {
  private readonly codes = new Map<string, number>();
  readonly values: string[] = [];

  code(value: string): number {
    let code = this.codes.get(value);
    if (code === undefined) {
      code = this.values.push(value) - 1;
      this.codes.set(value, code);
    }
    return code;
  }

  /** A new code for `value`, never given by `code()` (a placeholder that must not merge with a real value). */
  unlisted(value: string): number {
    return this.values.push(value) - 1;
  }
}

/** A copy of `array` in a new typed array of `length` (default: twice as long), the rest zeroed. */
export function grow<T extends Int32Array | Uint8Array>(array: T, length = array.length * 2): T {
  const bigger = new (array.constructor as new (n: number) => T)(length);
  bigger.fill(0, array.length); // see zeroedInt32
  bigger.set(array);
  return bigger;
}

/**
 * A new Int32Array of zeros, its pages written now. Tables that are read before they are written
 * (hash slots, counters) fault twice per page otherwise: the read maps the shared zero page, the
 * write copies it and flushes every core's TLB. Written first, a page faults once: at 2M events this
 * took a third of the job's system time.
 */
export function zeroedInt32(length: number): Int32Array {
  return new Int32Array(length).fill(0);
}

/**
 * Distinct byte strings in first-seen order, each with its code, looked up by (hash, bytes) without
 * making a JS string per lookup: open addressing over typed arrays, a byte compare on a hash match.
 * Each slot holds the hash beside the code, so a miss reads one cache line and never touches the
 * stored bytes. The caller supplies the hash (computed while it walked the bytes anyway).
 */
export class ByteDictionary {
  private slots: Int32Array; // [hash, code + 1] pairs; code + 1 = 0 marks an empty slot
  private offsets: Int32Array;
  private readonly bytes = new ByteBuilder();
  size = 0;

  /** @param capacity entries expected; the table grows past it */
  constructor(capacity = 256) {
    let slots = 1024;
    while (slots < capacity * 2) slots *= 2;
    this.slots = zeroedInt32(slots * 2);
    this.offsets = new Int32Array(Math.max(capacity, 256) + 1);
  }

  /** The code of `source[start, end)`, or -1 when absent. */
  find(source: Uint8Array, start: number, end: number, hash: number): number {
    const slots = this.slots;
    const mask = (slots.length >> 1) - 1;
    for (let slot = hash & mask; ; slot = (slot + 1) & mask) {
      const code = slots[slot * 2 + 1]! - 1;
      if (code < 0) return -1;
      if (slots[slot * 2] === hash && this.equals(code, source, start, end)) return code;
    }
  }

  /** The code of the bytes, adding them if absent. */
  code(source: Uint8Array, start: number, end: number, hash: number): number {
    const known = this.find(source, start, end, hash);
    return known >= 0 ? known : this.add(source, start, end, hash);
  }

  /** Every entry decoded as UTF-8, in code order. */
  strings(): string[] {
    const decoder = new TextDecoder('utf-8', { ignoreBOM: true }); // a value may start with U+FEFF: kept
    return Array.from({ length: this.size }, (_, code) => decoder.decode(this.bytes.bytes.subarray(this.offsets[code], this.offsets[code + 1])));
  }

  /** Adds bytes known to be absent; returns their code. */
  add(source: Uint8Array, start: number, end: number, hash: number): number {
    const slots = this.slots;
    const mask = (slots.length >> 1) - 1;
    let slot = hash & mask;
    while (slots[slot * 2 + 1] !== 0) slot = (slot + 1) & mask;
    return this.store(source, start, end, hash, slot);
  }

  private store(source: Uint8Array, start: number, end: number, hash: number, slot: number): number {
    const code = this.size++;
    if (code + 1 >= this.offsets.length) this.offsets = grow(this.offsets, this.offsets.length * 2);
    this.bytes.append(source, start, end);
    this.offsets[code + 1] = this.bytes.length;
    this.slots[slot * 2] = hash;
    this.slots[slot * 2 + 1] = code + 1;
    if (this.size * 2 > this.slots.length >> 1) this.rehash();
    return code;
  }

  private equals(code: number, source: Uint8Array, start: number, end: number): boolean {
    const from = this.offsets[code]!;
    if (this.offsets[code + 1]! - from !== end - start) return false;
    const stored = this.bytes.bytes;
    for (let i = 0; i < end - start; i++) if (stored[from + i] !== source[start + i]) return false;
    return true;
  }

  private rehash(): void {
    this.slots = rehashPairs(this.slots);
  }
}

/**
 * A `factor` times larger open-addressing table of [hash, entry + 1] pairs (0 = empty slot), the
 * entries placed again by hash. 4x by default: the dictionaries are small; the dedup set, millions
 * of ids, doubles (half the memory at its largest).
 */
export function rehashPairs(old: Int32Array, factor = 4): Int32Array {
  const slots = zeroedInt32(old.length * factor);
  const mask = (slots.length >> 1) - 1;
  for (let i = 0; i < old.length; i += 2) {
    if (old[i + 1] === 0) continue;
    let slot = old[i]! & mask;
    while (slots[slot * 2 + 1] !== 0) slot = (slot + 1) & mask;
    slots[slot * 2] = old[i]!;
    slots[slot * 2 + 1] = old[i + 1]!;
  }
  return slots;
}

/**
 * One dictionary column from each file's own dictionary: codes remapped per distinct value, then gathered.
 *
 * @example
 * mergeDictionaries([{ codes: Int32Array.of(0, -1), values: ['FR'] }, { codes: Int32Array.of(0), values: ['ES'] }]); // codes 0, -1, 1
 */
export function mergeDictionaries(columns: readonly DictionaryColumn[]): DictionaryColumn {
  const codes = new Int32Array(columns.reduce((sum, column) => sum + column.codes.length, 0));
  return { codes, values: mergeDictionariesInto(codes, columns) };
}

/**
 * {@link mergeDictionaries} written into `target` from its start (e.g. memory a WebAssembly loop
 * reads); returns the merged values. One column is copied as it is.
 *
 * @example
 * const values = mergeDictionariesInto(domainCodes, files.map((file) => file.domain));
 */
export function mergeDictionariesInto(target: Int32Array, columns: readonly DictionaryColumn[]): string[] {
  if (columns.length === 1) {
    target.set(columns[0]!.codes);
    return columns[0]!.values;
  }
  const merged = new StringDictionary();
  let row = 0;
  for (const column of columns) {
    remapInto(target, row, column.codes, Int32Array.from(column.values, (value) => merged.code(value)));
    row += column.codes.length;
  }
  return merged.values;
}

/**
 * `target[at + i] = remap[codes[i]]` (-1 stays -1). Hot loops live in small functions of their own:
 * V8 optimizes a long loop while it runs, and code after it that has not run yet would send the
 * optimized code back to the interpreter (a recompile each time, on every thread).
 */
export function remapInto(target: Int32Array, at: number, codes: Int32Array, remap: Int32Array): void {
  for (let i = 0; i < codes.length; i++) target[at + i] = codes[i]! < 0 ? -1 : remap[codes[i]!]!;
}

/** `target[at + i] = offsets[i] + shift` for i in `[0, count)`: a part's offsets moved to where its bytes go. */
export function rebaseOffsets(target: Int32Array, at: number, offsets: Int32Array, count: number, shift: number): void {
  for (let i = 0; i < count; i++) target[at + i] = offsets[i]! + shift;
}

/** The arrays one after another in a new array of the same type (the array itself when there is one). */
function concat<T extends Int32Array | Uint8Array>(arrays: readonly T[], empty: T): T {
  if (arrays.length === 1) return arrays[0]!;
  const out = new (empty.constructor as new (length: number) => T)(arrays.reduce((sum, array) => sum + array.length, 0));
  let at = 0;
  for (const array of arrays) {
    out.set(array, at);
    at += array.length;
  }
  return out;
}
/** Int32 arrays one after another (the array itself when there is one). */
export const concatInt32 = (arrays: readonly Int32Array[]) => concat(arrays, new Int32Array(0));
/** Byte arrays one after another (the array itself when there is one). */
export const concatBytes = (arrays: readonly Uint8Array[]) => concat(arrays, new Uint8Array(0));

/** Offsets of concatenated byte runs: each file's offsets shifted by the bytes before it. */
export function concatOffsets(arrays: readonly Int32Array[]): Int32Array {
  if (arrays.length === 1) return arrays[0]!;
  const out = new Int32Array(arrays.reduce((sum, array) => sum + array.length - 1, 0) + 1);
  let at = 0;
  let base = 0;
  for (const array of arrays) {
    for (let i = 1; i < array.length; i++) out[at + i] = array[i]! + base;
    at += array.length - 1;
    base += array[array.length - 1]!;
  }
  return out;
}
