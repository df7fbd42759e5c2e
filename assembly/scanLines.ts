// AssemblyScript, compiled to src/read/scanLines.wasm by `npm run build:wasm` (SIMD on).
//
// Scans complete JSON Lines in this module's memory and writes, per accepted event, the columns the
// parser keeps: id and user id bytes (copied into arenas, with their hashes), the type code, and
// dictionary entries for domain, country, token and (when kept) datetime (interned here, by bytes; a new token is judged
// too: consent or not, see judgeToken). The same rules as
// src/read/scanEvent.ts, which stays the fallback: any key order, any JSON whitespace, extra
// fields (validated, skipped). A line this scan does not take (escapes or non-ASCII in a field it
// reads, a token that is not a string, anything invalid) stops the batch: the caller parses that
// line in JS and calls again after it. All memory regions are laid out by `layout`; the caller owns
// the input region at the end and grows memory as it needs.

const QUOTE: u32 = 0x22;
const BACKSLASH: u32 = 0x5c;
const NEWLINE: u32 = 0x0a;
const COMMA: u32 = 0x2c;
const COLON: u32 = 0x3a;
const OPEN_BRACE: u32 = 0x7b;
const CLOSE_BRACE: u32 = 0x7d;
const OPEN_BRACKET: u32 = 0x5b;
const CLOSE_BRACKET: u32 = 0x5d;
const MAX_DEPTH: i32 = 64;

/** Dictionary kinds. */
export const DOMAIN: i32 = 0;
export const COUNTRY: i32 = 1;
export const TOKEN: i32 = 2;
export const DATETIME: i32 = 3;

/** Why `scan` returned. */
export const STOP_END: i32 = 0; // every complete line is consumed; `resumeAt` is where an unfinished one starts
export const STOP_DECLINED: i32 = 1; // the line at `resumeAt` is left to the caller
export const STOP_FULL: i32 = 2; // the row columns or an arena are full; call again from `resumeAt`

// Regions (set by `layout`).
let rowCapacity: i32 = 0;
let idEnds: usize = 0;
let idHashes: usize = 0;
let types: usize = 0;
let userIdEnds: usize = 0;
let userIdHashes: usize = 0;
let userIdNulls: usize = 0;
let domainEntries: usize = 0;
let countryEntries: usize = 0;
let tokenEntries: usize = 0;
let lines: usize = 0;
let datetimeEntries: usize = 0;
let idArena: usize = 0;
let userIdArena: usize = 0;
let arenaCapacity: i32 = 0;
let slots: usize = 0; // [hash, entry + 1] pairs
let countryPairs: usize = 0; // entry + 1 of each two-byte country, by its bytes
let slotMask: u32 = 0;
let entryStarts: usize = 0;
let entryLengths: usize = 0;
let entryKinds: usize = 0;
let entryVerdicts: usize = 0; // a token entry's verdict (judgeToken); -1 for other kinds
let entryCapacity: i32 = 0;
let entryCount: i32 = 0;
let storage: usize = 0;
let storageCapacity: i32 = 0;
let storageUsed: i32 = 0;

/** Whether a scan keeps each event's `datetime` (a dictionary entry per row); off, it is skipped like any other field. */
let keepDatetime: bool = false;

/** Turns keeping `datetime` on or off for the scans that follow. */
export function setKeepDatetime(keep: bool): void {
  keepDatetime = keep;
}

/** After `scan`: where to go on, why it stopped, and the lines it consumed (blank ones included). */
export let resumeAt: i32 = 0;
export let stopReason: i32 = 0;
export let linesConsumed: i32 = 0;

/**
 * Lays out the regions after this module's own data: row columns of `rows` i32 each, two arenas of `arenaBytes`,
 * a dictionary of `entries` entries and `storageBytes` of entry bytes. Returns where the input
 * region starts (16-byte aligned).
 */
export function layout(rows: i32, arenaBytes: i32, entries: i32, storageBytes: i32): usize {
  let at = (__heap_base + 15) & ~15;
  rowCapacity = rows;
  const column = <usize>rows * 4;
  idEnds = at; at += column;
  idHashes = at; at += column;
  types = at; at += column;
  userIdEnds = at; at += column;
  userIdHashes = at; at += column;
  userIdNulls = at; at += column;
  domainEntries = at; at += column;
  countryEntries = at; at += column;
  tokenEntries = at; at += column;
  lines = at; at += column;
  datetimeEntries = at; at += column;
  arenaCapacity = arenaBytes;
  idArena = at; at += <usize>arenaBytes + 64;
  userIdArena = at; at += <usize>arenaBytes + 64;
  entryCapacity = entries;
  let slotCount: u32 = 1;
  while (slotCount < <u32>entries * 2) slotCount <<= 1;
  slotMask = slotCount - 1;
  slots = at; at += <usize>slotCount * 8;
  countryPairs = at; at += 65536 * 4;
  entryStarts = at; at += <usize>entries * 4;
  entryLengths = at; at += <usize>entries * 4;
  entryKinds = at; at += <usize>entries * 4;
  entryVerdicts = at; at += <usize>entries * 4;
  storageCapacity = storageBytes;
  storage = at; at += <usize>storageBytes + 64;
  return (at + 15) & ~15;
}

/** Where each region starts, for the caller's views: index 0..15 as listed. */
export function region(index: i32): usize {
  switch (index) {
    case 0: return idEnds;
    case 1: return idHashes;
    case 2: return types;
    case 3: return userIdEnds;
    case 4: return userIdHashes;
    case 5: return userIdNulls;
    case 6: return domainEntries;
    case 7: return countryEntries;
    case 8: return tokenEntries;
    case 9: return lines;
    case 10: return idArena;
    case 11: return userIdArena;
    case 12: return entryStarts;
    case 13: return entryLengths;
    case 14: return storage;
    case 15: return entryVerdicts;
    case 16: return datetimeEntries;
    default: return 0;
  }
}

/** Empties the dictionary (a new file: entries are per file). */
export function resetDictionary(): void {
  memory.fill(slots, 0, (<usize>slotMask + 1) * 8);
  memory.fill(countryPairs, 0, 65536 * 4);
  entryCount = 0;
  storageUsed = 0;
}

/**
 * Scans lines from `start` up to `end` (the input; at least 64 bytes after `end` must be readable,
 * and the caller puts a newline right at `end`). With `final`, bytes after the last newline are a
 * line too. Rows go to the columns from row 0; `lineBase` numbers the lines, `idBase`/`userIdBase`
 * offset the arena ends written (so the caller can copy them as offsets). Returns the rows written.
 */
export function scan(start: usize, end: usize, final: bool, lineBase: i32, idBase: i32, userIdBase: i32): i32 {
  let at = start;
  let row: i32 = 0;
  let consumed: i32 = 0;
  let idUsed: i32 = 0;
  let userIdUsed: i32 = 0;
  stopReason = STOP_END;
  while (at < end) {
    const first = <u32>load<u8>(at);
    if (first == NEWLINE || (first == 0x0d && load<u8>(at + 1) == NEWLINE && at + 1 < end)) {
      consumed++; // an empty line: no event, not counted
      at += first == NEWLINE ? 1 : 2;
      continue;
    }
    if (row == rowCapacity) {
      stopReason = STOP_FULL;
      break;
    }
    const result = scanLine(at, row, idUsed, userIdUsed);
    // The line's end is only looked for when the scan did not find it: the newline after the event.
    const lineEnd = result == ACCEPTED ? lineEndAt : findNewline(at, end);
    if (lineEnd >= end && !final) break; // unfinished: the next chunk completes it
    if (result == DECLINED) {
      stopReason = STOP_DECLINED;
      break;
    }
    if (result == FULL) {
      stopReason = row == 0 ? STOP_DECLINED : STOP_FULL; // a field longer than an arena: JS takes it
      break;
    }
    idUsed += idLength;
    userIdUsed += userIdLength;
    store<i32>(idEnds + (<usize>row << 2), idBase + idUsed);
    store<i32>(userIdEnds + (<usize>row << 2), userIdBase + userIdUsed);
    store<i32>(lines + (<usize>row << 2), lineBase + consumed + 1);
    row++;
    consumed++;
    at = lineEnd + 1;
  }
  resumeAt = <i32>min(at, end);
  linesConsumed = consumed;
  return row;
}

/** Position of the first newline from `at`, or a position >= `end` (the caller's newline at `end`). */
function findNewline(at: usize, end: usize): usize {
  const newline = i8x16.splat(<i8>NEWLINE);
  while (true) {
    const mask = i8x16.bitmask(i8x16.eq(v128.load(at), newline));
    if (mask != 0) return at + ctz(mask);
    at += 16;
    if (at > end) return end;
  }
}

const ACCEPTED: i32 = 0;
const DECLINED: i32 = 1;
const FULL: i32 = 2;

// Key bits, top level and in `user`.
const KEY_ID: i32 = 1;
const KEY_DOMAIN: i32 = 2;
const KEY_TYPE: i32 = 4;
const KEY_USER: i32 = 8;
const KEY_USER_ID: i32 = 16;
const KEY_COUNTRY: i32 = 32;
const KEY_TOKEN: i32 = 64;
const KEY_DATETIME: i32 = 128;

// Spans of the line being scanned (string bodies, without quotes); start -1 = absent or null.
let idStart: usize = 0;
let idLength: i32 = 0;
let typeCode: i32 = -1;
let domainStart: isize = -1;
let domainEnd: usize = 0;
let userIdStart: isize = -1;
let userIdLength: i32 = 0;
let countryStart: isize = -1;
let countryEnd: usize = 0;
let tokenStart: isize = -1;
let tokenEnd: usize = 0;
let datetimeStart: isize = -1;
let datetimeEnd: usize = 0;

/** Where the last line taken ends: its newline (or the caller's, at the input's end). */
let lineEndAt: usize = 0;

/** Scans the line at `at` and, if it is taken, writes row `row` (all but the ends and line number). */
function scanLine(at: usize, row: i32, idUsed: i32, userIdUsed: i32): i32 {
  domainStart = userIdStart = countryStart = tokenStart = datetimeStart = -1;
  typeCode = -1;
  userIdLength = 0;
  let seen: i32 = 0;
  let p = skipSpace(at);
  if (load<u8>(p) != OPEN_BRACE) return DECLINED;
  p = skipSpace(p + 1);
  if (load<u8>(p) == CLOSE_BRACE) return DECLINED; // no id: the exact path reports it
  while (true) {
    if (load<u8>(p) != QUOTE) return DECLINED;
    const keyEnd = topLevelKeyEnd(p + 1);
    if (keyEnd < 0) return DECLINED;
    const key = keyBits;
    p = skipSpace(<usize>keyEnd + 1);
    if (load<u8>(p) != COLON) return DECLINED;
    p = skipSpace(p + 1);
    if (key != 0) {
      if (seen & key) return DECLINED; // JSON.parse's last-wins: left to it
      seen |= key;
    }
    const first = <u32>load<u8>(p);
    let next: isize;
    if (key == KEY_ID) {
      if (first != QUOTE) return DECLINED;
      next = stringEnd(p + 1);
      if (next <= <isize>(p + 1) || stringFlags != 0) return DECLINED; // empty, escaped or non-ASCII: JS decides
      idStart = p + 1;
      idLength = <i32>(<usize>next - p - 1);
      next++;
    } else if (key == KEY_TYPE) {
      if (first != QUOTE) return DECLINED;
      next = typeEnd(p + 1);
      if (next < 0) return DECLINED; // another type, or one written with escapes: JS decides
      next++;
    } else if (key == KEY_DOMAIN && first == QUOTE) {
      next = stringEnd(p + 1);
      if (next < 0 || stringFlags != 0) return DECLINED;
      domainStart = p + 1;
      domainEnd = <usize>next;
      next++;
    } else if (key == KEY_DATETIME && first == QUOTE && keepDatetime) {
      next = stringEnd(p + 1);
      if (next < 0 || stringFlags != 0) return DECLINED;
      datetimeStart = p + 1;
      datetimeEnd = <usize>next;
      next++;
    } else if (key == KEY_USER && first == OPEN_BRACE) {
      next = scanUser(p);
    } else {
      next = skipValue(p, 0);
    }
    if (next < 0) return DECLINED;
    p = skipSpace(<usize>next);
    const separator = <u32>load<u8>(p);
    if (separator == COMMA) {
      p = skipSpace(p + 1);
      continue;
    }
    if (separator != CLOSE_BRACE) return DECLINED;
    break;
  }
  lineEndAt = skipSpace(p + 1);
  if (load<u8>(lineEndAt) != NEWLINE) return DECLINED;
  if ((seen & (KEY_ID | KEY_TYPE)) != (KEY_ID | KEY_TYPE)) return DECLINED;

  // Taken, unless an arena or the dictionary is full.
  if (idUsed + idLength > arenaCapacity || userIdUsed + userIdLength > arenaCapacity) return FULL;
  let domain: i32 = -1;
  let country: i32 = -1;
  let token: i32 = -1;
  if (domainStart >= 0 && (domain = intern(DOMAIN, <usize>domainStart, domainEnd - <usize>domainStart)) < 0) return DECLINED;
  if (countryStart >= 0 && (country = internCountry(<usize>countryStart, countryEnd - <usize>countryStart)) < 0) return DECLINED;
  if (tokenStart >= 0 && (token = intern(TOKEN, <usize>tokenStart, tokenEnd - <usize>tokenStart)) < 0) return DECLINED;
  const offset = <usize>row << 2;
  if (keepDatetime) {
    let datetime: i32 = -1;
    if (datetimeStart >= 0 && (datetime = intern(DATETIME, <usize>datetimeStart, datetimeEnd - <usize>datetimeStart)) < 0) return DECLINED;
    store<i32>(datetimeEntries + offset, datetime);
  }
  copyShort(idArena + idUsed, idStart, idLength);
  store<i32>(idHashes + offset, idHash(idStart, idLength));
  store<i32>(types + offset, typeCode);
  if (userIdStart >= 0) {
    copyShort(userIdArena + userIdUsed, <usize>userIdStart, userIdLength);
    store<i32>(userIdHashes + offset, idHash(<usize>userIdStart, userIdLength));
    store<i32>(userIdNulls + offset, 0);
  } else {
    store<i32>(userIdHashes + offset, 0); // NULL_HASH
    store<i32>(userIdNulls + offset, 1);
  }
  store<i32>(domainEntries + offset, domain);
  store<i32>(countryEntries + offset, country);
  store<i32>(tokenEntries + offset, token);
  return ACCEPTED;
}

/**
 * Copies a short field 16 bytes at a time (memory.copy is a call out of WebAssembly in V8, costly for
 * ~36 bytes); may write up to 15 bytes past `length` at `to`: the arenas have room after their end.
 */
function copyShort(to: usize, from: usize, length: i32): void {
  for (let i: i32 = 0; i < length; i += 16) v128.store(to + i, v128.load(from + i));
}

/** The `user` object at `at`: its id, country and token; position after it, or -1. */
function scanUser(at: usize): isize {
  let seen: i32 = 0;
  let p = skipSpace(at + 1);
  if (load<u8>(p) == CLOSE_BRACE) return p + 1;
  while (true) {
    if (load<u8>(p) != QUOTE) return -1;
    const keyEnd = userKeyEnd(p + 1);
    if (keyEnd < 0) return -1;
    const key = keyBits;
    p = skipSpace(<usize>keyEnd + 1);
    if (load<u8>(p) != COLON) return -1;
    p = skipSpace(p + 1);
    if (key != 0) {
      if (seen & key) return -1;
      seen |= key;
    }
    const first = <u32>load<u8>(p);
    let next: isize;
    if (key == KEY_TOKEN && first == QUOTE) {
      next = stringEnd(p + 1); // escapes welcome (validated): the caller decodes each distinct token once
      if (next < 0 || (stringFlags & NON_ASCII) != 0) return -1; // UTF-8 to validate: JS does
      tokenStart = p + 1;
      tokenEnd = <usize>next;
      next++;
    } else if (key == KEY_TOKEN && first != 0x6e) {
      return -1; // a token given as another JSON value: JS re-serializes it
    } else if ((key == KEY_USER_ID || key == KEY_COUNTRY) && first == QUOTE) {
      next = key == KEY_COUNTRY ? countryStringEnd(p + 1) : stringEnd(p + 1);
      if (next < 0 || stringFlags != 0) return -1;
      if (key == KEY_USER_ID) {
        userIdStart = p + 1;
        userIdLength = <i32>(<usize>next - p - 1);
      } else {
        countryStart = p + 1;
        countryEnd = <usize>next;
      }
      next++;
    } else {
      next = skipValue(p, 1);
    }
    if (next < 0) return -1;
    p = skipSpace(<usize>next);
    const separator = <u32>load<u8>(p);
    if (separator == COMMA) {
      p = skipSpace(p + 1);
      continue;
    }
    return separator == CLOSE_BRACE ? p + 1 : -1;
  }
}

/** Position after the JSON value at `at` (validated), or -1 (invalid, non-ASCII text, or too deep). */
function skipValue(at: usize, depth: i32): isize {
  const first = <u32>load<u8>(at);
  if (first == QUOTE) {
    const end = stringEnd(at + 1);
    return end < 0 || (stringFlags & NON_ASCII) != 0 ? -1 : end + 1;
  }
  if (first == OPEN_BRACE || first == OPEN_BRACKET) {
    if (depth >= MAX_DEPTH) return -1;
    const close = first == OPEN_BRACE ? CLOSE_BRACE : CLOSE_BRACKET;
    let p = skipSpace(at + 1);
    if (<u32>load<u8>(p) == close) return p + 1;
    while (true) {
      if (first == OPEN_BRACE) {
        if (load<u8>(p) != QUOTE) return -1;
        const keyEnd = stringEnd(p + 1);
        if (keyEnd < 0 || (stringFlags & NON_ASCII) != 0) return -1;
        p = skipSpace(<usize>keyEnd + 1);
        if (load<u8>(p) != COLON) return -1;
        p = skipSpace(p + 1);
      }
      const next = skipValue(p, depth + 1);
      if (next < 0) return -1;
      p = skipSpace(<usize>next);
      const separator = <u32>load<u8>(p);
      if (separator == close) return p + 1;
      if (separator != COMMA) return -1;
      p = skipSpace(p + 1);
    }
  }
  if (first == 0x74) return load<u32>(at) == 0x65757274 ? at + 4 : -1; // true
  if (first == 0x66) return load<u32>(at + 1) == 0x65736c61 ? at + 5 : -1; // false
  if (first == 0x6e) return load<u32>(at) == 0x6c6c756e ? at + 4 : -1; // null
  return numberEnd(at);
}

/** Position after a JSON number at `at` (`-?(0|[1-9]d*)(.d+)?([eE][+-]?d+)?`), or -1. */
function numberEnd(at: usize): isize {
  let p = at;
  if (load<u8>(p) == 0x2d) p++;
  if (load<u8>(p) == 0x30) p++;
  else if (isDigit(load<u8>(p))) while (isDigit(load<u8>(p))) p++;
  else return -1;
  if (load<u8>(p) == 0x2e) {
    if (!isDigit(load<u8>(++p))) return -1;
    while (isDigit(load<u8>(p))) p++;
  }
  const e = load<u8>(p);
  if (e == 0x65 || e == 0x45) {
    p++;
    const sign = load<u8>(p);
    if (sign == 0x2b || sign == 0x2d) p++;
    if (!isDigit(load<u8>(p))) return -1;
    while (isDigit(load<u8>(p))) p++;
  }
  return p;
}

// @ts-ignore: decorator
@inline function isDigit(byte: u32): bool {
  return byte - 0x30 < 10;
}

// @ts-ignore: decorator
@inline function isHex(byte: u32): bool {
  return byte - 0x30 < 10 || (byte | 0x20) - 0x61 < 6;
}

/** Bits of `stringFlags`: what the last string held. */
const ESCAPED: i32 = 1;
const NON_ASCII: i32 = 2;
let stringFlags: i32 = 0;

/** A 64-bit mask of the bytes in `[at, at + 64)` equal to `byte`. */
// @ts-ignore: decorator
@inline function equalMask(a: v128, b: v128, c: v128, d: v128, byte: v128): u64 {
  return <u64><u32>i8x16.bitmask(i8x16.eq(a, byte)) | (<u64><u32>i8x16.bitmask(i8x16.eq(b, byte)) << 16)
    | (<u64><u32>i8x16.bitmask(i8x16.eq(c, byte)) << 32) | (<u64><u32>i8x16.bitmask(i8x16.eq(d, byte)) << 48);
}

const EVEN_BITS: u64 = 0x5555555555555555;

/**
 * Position of the quote closing the string whose body starts at `at`, or -1 at a control character
 * (a newline among them) or an invalid escape. `stringFlags` says whether the string held an escape
 * or a non-ASCII byte (not validated here: callers that take such text leave it to JS). Most
 * strings (keys, ids, countries) have no escape: 16 bytes a step until the first quote, backslash or
 * control character, and only a string with an escape goes on in {@link escapedStringEnd}.
 */
function stringEnd(at: usize): isize {
  const quote = i8x16.splat(<i8>QUOTE);
  const backslash = i8x16.splat(<i8>BACKSLASH);
  const space = i8x16.splat(0x20);
  let flags: i32 = 0;
  let p = at;
  while (true) {
    const bytes = v128.load(p);
    const special = i8x16.bitmask(v128.or(v128.or(i8x16.eq(bytes, quote), i8x16.eq(bytes, backslash)), i8x16.lt_u(bytes, space)));
    const high = i8x16.bitmask(bytes);
    if (special == 0) {
      if (high != 0) flags |= NON_ASCII;
      p += 16;
      continue;
    }
    const index = ctz(special);
    if (high & ((1 << index) - 1)) flags |= NON_ASCII;
    p += index;
    const byte = <u32>load<u8>(p);
    if (byte == QUOTE) {
      stringFlags = flags;
      return p;
    }
    return byte == BACKSLASH ? escapedStringEnd(p, flags) : -1;
  }
}

/**
 * {@link stringEnd} from the string's first backslash at `at`, 64 bytes at a time: masks of quotes,
 * backslashes, control and non-ASCII bytes, and simdjson's carry trick for which bytes a backslash
 * escapes, so a token (an escape every ~5 bytes) costs no step per escape.
 */
function escapedStringEnd(at: usize, flags: i32): isize {
  const quote = i8x16.splat(<i8>QUOTE);
  const backslash = i8x16.splat(<i8>BACKSLASH);
  const space = i8x16.splat(0x20);
  let prevEscaped: u64 = 0; // 1 when the block's first byte is escaped
  let p = at;
  while (true) {
    const a = v128.load(p);
    const b = v128.load(p, 16);
    const c = v128.load(p, 32);
    const d = v128.load(p, 48);
    const quotes = equalMask(a, b, c, d, quote);
    const backslashMask = equalMask(a, b, c, d, backslash);
    let backslashes = backslashMask;
    const controls = <u64><u32>i8x16.bitmask(i8x16.lt_u(a, space)) | (<u64><u32>i8x16.bitmask(i8x16.lt_u(b, space)) << 16)
      | (<u64><u32>i8x16.bitmask(i8x16.lt_u(c, space)) << 32) | (<u64><u32>i8x16.bitmask(i8x16.lt_u(d, space)) << 48);
    const high = <u64><u32>i8x16.bitmask(a) | (<u64><u32>i8x16.bitmask(b) << 16) | (<u64><u32>i8x16.bitmask(c) << 32)
      | (<u64><u32>i8x16.bitmask(d) << 48);
    // Which bytes a backslash escapes (simdjson's find_escaped_branchless).
    let escaped: u64 = 0;
    if ((backslashes | prevEscaped) != 0) {
      backslashes &= ~prevEscaped;
      const followsEscape = (backslashes << 1) | prevEscaped;
      const oddStarts = backslashes & ~EVEN_BITS & ~followsEscape;
      const sum = oddStarts + backslashes;
      prevEscaped = sum < oddStarts ? 1 : 0;
      escaped = (EVEN_BITS ^ (sum << 1)) & followsEscape;
    }
    const closing = quotes & ~escaped;
    const before = closing == 0 ? <u64>-1 : (closing & (0 - closing)) - 1; // the bytes of this block in the string
    if ((controls & before) != 0) return -1;
    if ((high & before) != 0) flags |= NON_ASCII;
    const escapes = escaped & before;
    if (escapes != 0) {
      flags |= ESCAPED;
      // Escapes other than \" and \\ are rare: check each (a \u takes four hex digits).
      let rare = escapes & ~(quotes | backslashMask);
      while (rare != 0) {
        const escape = p + <usize>ctz(rare);
        const byte = <u32>load<u8>(escape);
        if (byte == 0x75) {
          if (!(isHex(load<u8>(escape + 1)) && isHex(load<u8>(escape + 2)) && isHex(load<u8>(escape + 3)) && isHex(load<u8>(escape + 4)))) return -1;
        } else if (!(byte == 0x2f || byte == 0x62 || byte == 0x66 || byte == 0x6e || byte == 0x72 || byte == 0x74)) {
          return -1;
        }
        rare &= rare - 1;
      }
    }
    if (closing != 0) {
      stringFlags = flags;
      return p + <usize>ctz(closing);
    }
    p += 64;
  }
}

// @ts-ignore: decorator
@inline function skipSpace(at: usize): usize {
  while (true) {
    const byte = <u32>load<u8>(at);
    if (byte != 0x20 && byte != 0x09 && byte != 0x0d) return at;
    at++;
  }
}

// The keys of the SPEC's events with their closing quote, as little-endian words.
const QUOTED_ID: u64 = 0x226469; // id"
const QUOTED_TYPE: u64 = 0x2265707974; // type"
const QUOTED_USER: u64 = 0x2272657375; // user"
const QUOTED_DOMAIN: u64 = 0x226e69616d6f64; // domain"
const WORD_DATETIME: u64 = 0x656d697465746164; // datetime (its quote is the 9th byte)
const QUOTED_COUNTRY: u64 = 0x227972746e756f63; // country"
const QUOTED_TOKEN: u64 = 0x226e656b6f74; // token"

/** The bits of the key {@link topLevelKeyEnd} or {@link userKeyEnd} read last (0: a key this scan skips). */
let keyBits: i32 = 0;

/**
 * Position of the quote closing the top-level key whose body starts at `at`, or -1 (an escape,
 * non-ASCII or invalid: JS decides); the key's bits go to `keyBits`. The keys events have are matched
 * as one word with their closing quote, which is then the key's end (it follows a letter, so no
 * backslash escapes it); other keys go to {@link otherKeyEnd}.
 */
function topLevelKeyEnd(at: usize): isize {
  const word = load<u64>(at);
  if ((word & 0xffffff) == QUOTED_ID) return known(KEY_ID, at + 2);
  if ((word & 0xffffffffff) == QUOTED_TYPE) return known(KEY_TYPE, at + 4);
  if ((word & 0xffffffffff) == QUOTED_USER) return known(KEY_USER, at + 4);
  if ((word & 0xffffffffffffff) == QUOTED_DOMAIN) return known(KEY_DOMAIN, at + 6);
  if (word == WORD_DATETIME && load<u8>(at + 8) == QUOTE) return known(KEY_DATETIME, at + 8);
  return otherKeyEnd(at);
}

/** {@link topLevelKeyEnd} for the keys of `user`. */
function userKeyEnd(at: usize): isize {
  const word = load<u64>(at);
  if ((word & 0xffffff) == QUOTED_ID) return known(KEY_USER_ID, at + 2);
  if (word == QUOTED_COUNTRY) return known(KEY_COUNTRY, at + 7);
  if ((word & 0xffffffffffff) == QUOTED_TOKEN) return known(KEY_TOKEN, at + 5);
  return otherKeyEnd(at);
}

/**
 * A key the scan skips: scanned by {@link stringEnd}, -1 with an escape or non-ASCII. (A key the scan
 * reads, written without escapes, always matches its word above, so it never comes here.)
 */
function otherKeyEnd(at: usize): isize {
  const end = stringEnd(at);
  return end < 0 || stringFlags != 0 ? -1 : known(0, <usize>end);
}

// @ts-ignore: decorator
@inline function known(bits: i32, end: usize): isize {
  keyBits = bits;
  return <isize>end;
}

// "pageview", "consent.asked", "consent.given" (EVENT_TYPES order).
const WORD_PAGEVIEW: u64 = 0x7765697665676170;
const WORD_CONSENT_: u64 = 0x2e746e65736e6f63; // "consent."
const WORD_ASKED: u64 = 0x64656b7361; // "asked"
const WORD_GIVEN: u64 = 0x6e65766967; // "given"

/**
 * The quote closing the type string whose body starts at `at` when it is one of the three types,
 * matched as words with the quote (its code goes to `typeCode`); otherwise -1.
 */
function typeEnd(at: usize): isize {
  const word = load<u64>(at);
  if (word == WORD_PAGEVIEW && load<u8>(at + 8) == QUOTE) return typed(0, at + 8);
  if (word != WORD_CONSENT_ || load<u8>(at + 13) != QUOTE) return -1;
  const rest = load<u64>(at + 8) & 0xffffffffff;
  return rest == WORD_ASKED ? typed(1, at + 13) : rest == WORD_GIVEN ? typed(2, at + 13) : -1;
}

// @ts-ignore: decorator
@inline function typed(code: i32, end: usize): isize {
  typeCode = code;
  return <isize>end;
}

/**
 * {@link stringEnd} for a country: two plain bytes and a quote (ISO codes) are taken without a scan,
 * `stringFlags` cleared as stringEnd would.
 */
function countryStringEnd(at: usize): isize {
  if (load<u8>(at + 2) != QUOTE || !isPlain(load<u8>(at)) || !isPlain(load<u8>(at + 1))) return stringEnd(at);
  stringFlags = 0;
  return <isize>(at + 2);
}

/** A byte a string holds as itself: printable ASCII, not a quote or a backslash. */
// @ts-ignore: decorator
@inline function isPlain(byte: u32): bool {
  return byte - 0x20 < 0x60 && byte != QUOTE && byte != BACKSLASH;
}

/**
 * MurmurHash3_x86_32 (seed 0) over bytes, a 4-byte word a step: the hash of ids and user ids, the
 * same as the JS parser's `hashBytes`. (FNV-1a, a byte a step, was a tenth of the scan.)
 */
function idHash(at: usize, length: i32): i32 {
  let hash: u32 = 0;
  const end = at + <usize>length;
  let p = at;
  for (; p + 4 <= end; p += 4) {
    hash ^= rotl<u32>(load<u32>(p) * 0xcc9e2d51, 15) * 0x1b873593;
    hash = rotl<u32>(hash, 13) * 5 + 0xe6546b64;
  }
  const rest = <u32>(end - p);
  if (rest > 0) hash ^= rotl<u32>((load<u32>(p) & ((<u32>1 << (rest << 3)) - 1)) * 0xcc9e2d51, 15) * 0x1b873593; // bytes past the end are readable
  hash ^= <u32>length;
  hash = (hash ^ (hash >>> 16)) * 0x85ebca6b;
  hash = (hash ^ (hash >>> 13)) * 0xc2b2ae35;
  return <i32>(hash ^ (hash >>> 16));
}

/**
 * A hash of bytes for the dictionary, 16 bytes a step in two independent lanes (half the latency of
 * one chain: a token is ~200 bytes); the tail is masked, so bytes past the end do not count.
 */
function wordHash(at: usize, length: usize, kind: i32): u32 {
  let a: u64 = (<u64>length << 8) ^ <u64>kind;
  let b: u64 = 0x6a09e667f3bcc909;
  let p = at;
  const end = at + length;
  if (length >= 64) {
    // Tokens: four lanes, 32 bytes a step (half the steps of two lanes), folded into two.
    let c: u64 = 0xbb67ae8584caa73b;
    let d: u64 = 0x3c6ef372fe94f82b;
    for (; p + 32 <= end; p += 32) {
      a = (a ^ load<u64>(p)) * 0x9e3779b97f4a7c15;
      b = (b ^ load<u64>(p, 8)) * 0xc2b2ae3d27d4eb4f;
      c = (c ^ load<u64>(p, 16)) * 0x9e3779b97f4a7c15;
      d = (d ^ load<u64>(p, 24)) * 0xc2b2ae3d27d4eb4f;
      a ^= a >>> 29;
      b ^= b >>> 31;
      c ^= c >>> 29;
      d ^= d >>> 31;
    }
    a ^= rotl<u64>(c, 17);
    b ^= rotl<u64>(d, 23);
  }
  for (; p + 16 <= end; p += 16) {
    a = (a ^ load<u64>(p)) * 0x9e3779b97f4a7c15;
    b = (b ^ load<u64>(p, 8)) * 0xc2b2ae3d27d4eb4f;
    a ^= a >>> 29;
    b ^= b >>> 31;
  }
  if (p + 8 <= end) {
    a = (a ^ load<u64>(p)) * 0x9e3779b97f4a7c15;
    a ^= a >>> 29;
    p += 8;
  }
  if (p < end) {
    b = (b ^ (load<u64>(p) & (<u64>-1 >>> (64 - ((end - p) << 3))))) * 0xc2b2ae3d27d4eb4f;
    b ^= b >>> 31;
  }
  const hash = (a ^ (b * 0x9e3779b97f4a7c15)) * 0xff51afd7ed558ccd;
  return <u32>(hash ^ (hash >>> 32));
}

/** Bytes equal, 64 then 16 at a time (both regions readable 16 bytes past their ends). */
function bytesEqual(a: usize, b: usize, length: usize): bool {
  let i: usize = 0;
  for (; i + 64 <= length; i += 64) {
    const same = v128.and(
      v128.and(i8x16.eq(v128.load(a + i), v128.load(b + i)), i8x16.eq(v128.load(a + i, 16), v128.load(b + i, 16))),
      v128.and(i8x16.eq(v128.load(a + i, 32), v128.load(b + i, 32)), i8x16.eq(v128.load(a + i, 48), v128.load(b + i, 48))),
    );
    if (!i8x16.all_true(same)) return false;
  }
  for (; i + 16 <= length; i += 16) {
    if (!i8x16.all_true(i8x16.eq(v128.load(a + i), v128.load(b + i)))) return false;
  }
  if (i == length) return true;
  const same = i8x16.bitmask(i8x16.eq(v128.load(a + i), v128.load(b + i)));
  const wanted = (1 << <i32>(length - i)) - 1;
  return (same & wanted) == wanted;
}

/** {@link intern} for a country: a two-byte one (nearly all: ISO codes) is looked up by its bytes, without hashing or comparing. */
function internCountry(at: usize, length: usize): i32 {
  if (length != 2) return intern(COUNTRY, at, length);
  const pair = countryPairs + (<usize>load<u16>(at) << 2);
  const known = load<i32>(pair) - 1;
  if (known >= 0) return known;
  const entry = intern(COUNTRY, at, length);
  if (entry >= 0) store<i32>(pair, entry + 1);
  return entry;
}

/**
 * The dictionary entry of `kind` with these bytes, added if new; -1 when the dictionary is full
 * (the line then goes to JS, which has dictionaries of its own).
 */
export function intern(kind: i32, at: usize, length: usize): i32 {
  const hash = wordHash(at, length, kind);
  let slot = hash & slotMask;
  while (true) {
    const address = slots + (<usize>slot << 3);
    const entry = load<i32>(address, 4) - 1;
    if (entry < 0) break;
    if (load<u32>(address) == hash) {
      const offset = <usize>entry << 2;
      if (load<i32>(entryKinds + offset) == kind && <usize>load<i32>(entryLengths + offset) == length
        && bytesEqual(storage + <usize>load<i32>(entryStarts + offset), at, length)) return entry;
    }
    slot = (slot + 1) & slotMask;
  }
  if (entryCount == entryCapacity || storageUsed + <i32>length > storageCapacity) return -1;
  const entry = entryCount++;
  const offset = <usize>entry << 2;
  memory.copy(storage + storageUsed, at, length);
  store<i32>(entryStarts + offset, storageUsed);
  store<i32>(entryLengths + offset, <i32>length);
  store<i32>(entryKinds + offset, kind);
  store<i32>(entryVerdicts + offset, kind == TOKEN ? judgeToken(at, length) : -1);
  storageUsed += <i32>length;
  const address = slots + (<usize>slot << 3);
  store<u32>(address, hash);
  store<i32>(address, entry + 1, 4);
  return entry;
}

// Judging a token in the scan. The token is a JSON text inside the event's JSON string: its quotes
// come escaped (\"). What a plain token says is read here, without decoding it into a JS string and
// parsing it again there; anything else (another escape, a top level that is not an object or null,
// invalid JSON, nesting past MAX_DEPTH) is left to JS, which decodes and parses it (and reports
// invalid ones). The rules are parseToken's: consent when `purposes.enabled` is a non-empty array, the
// last of repeated keys counting, as with JSON.parse.

/** judgeToken's answers. */
const NO_CONSENT: i32 = 0;
const CONSENT: i32 = 1;
const UNJUDGED: i32 = -1;

const ESCAPED_QUOTE: u32 = 0x225c; // \" as a little-endian 16-bit word
// "purposes" and "enabled" as little-endian words (bodies of inner strings).
const WORD_PURPOSES: u64 = 0x7365736f70727570;
const WORD_ENABLED: u64 = 0x64656c62616e65;

/** Where the token being judged ends; past it nothing is read. */
let tokenLimit: usize = 0;
/** Set by innerValue: what the value just read was (for the keys judged). */
let innerKind: i32 = 0;
/** Set by innerValue for an object read with `purposes` semantics: its `enabled` verdict. */
let innerEnabled: bool = false;
/** Set by innerValue for an array: whether it had an element. */
let innerNonEmpty: bool = false;

const INNER_OBJECT: i32 = 1;
const INNER_ARRAY: i32 = 2;
const INNER_OTHER: i32 = 3;

/** Position after the spaces at `at` (JSON whitespace inside a token other than a space comes escaped: not judged). */
// @ts-ignore: decorator
@inline function innerSpace(at: usize): usize {
  while (at < tokenLimit && load<u8>(at) == 0x20) at++;
  return at;
}

/** The verdict on the token whose escaped JSON text is `[at, at + length)`: CONSENT, NO_CONSENT, or UNJUDGED. */
function judgeToken(at: usize, length: usize): i32 {
  tokenLimit = at + length;
  let p = innerSpace(at);
  if (p + 4 <= tokenLimit && load<u32>(p) == 0x6c6c756e) { // null: a valid token without consent
    p = innerSpace(p + 4);
    return p == tokenLimit ? NO_CONSENT : UNJUDGED;
  }
  if (p >= tokenLimit || load<u8>(p) != OPEN_BRACE) return UNJUDGED;
  const end = innerValue(p, 0, 1);
  if (end < 0 || innerSpace(<usize>end) != tokenLimit) return UNJUDGED;
  return innerEnabled ? CONSENT : NO_CONSENT;
}

/**
 * Position after the inner string starting at `at` (its opening \"), or -1: an inner string holding
 * a backslash other than its closing \" (an escape in the token's own JSON) is not judged.
 */
function innerStringEnd(at: usize): isize {
  let p = at + 2;
  while (p < tokenLimit) {
    const byte = <u32>load<u8>(p);
    if (byte == BACKSLASH) return p + 1 < tokenLimit && load<u8>(p + 1) == QUOTE ? <isize>(p + 2) : -1;
    p++;
  }
  return -1;
}

/**
 * Position after the inner JSON value at `at`, or -1 (not judged). `role` says what the value is to
 * the verdict: 1 the top-level object (its `purposes` counts), 2 a `purposes` object (its `enabled`
 * counts), 3 an `enabled` value (a non-empty array counts), 0 anything else. Sets innerKind, and
 * innerEnabled for roles 1 and 2, innerNonEmpty for arrays.
 */
function innerValue(at: usize, depth: i32, role: i32): isize {
  if (at >= tokenLimit) return -1;
  const first = <u32>load<u8>(at);
  if (first == BACKSLASH) {
    if (at + 1 >= tokenLimit || load<u16>(at) != ESCAPED_QUOTE) return -1;
    innerKind = INNER_OTHER;
    return innerStringEnd(at);
  }
  if (first == OPEN_BRACE) {
    if (depth >= MAX_DEPTH) return -1;
    let verdict = false; // role 1: the last purposes' verdict; role 2: the last enabled's
    let p = innerSpace(at + 1);
    if (p < tokenLimit && load<u8>(p) == CLOSE_BRACE) return objectDone(p + 1, false);
    while (true) {
      if (p + 1 >= tokenLimit || load<u16>(p) != ESCAPED_QUOTE) return -1;
      const keyEnd = innerStringEnd(p);
      if (keyEnd < 0) return -1;
      const keyLength = <usize>keyEnd - p - 4; // between \" and \"
      const body = p + 2;
      let keyRole = 0;
      if (role == 1 && keyLength == 8 && load<u64>(body) == WORD_PURPOSES) keyRole = 2;
      else if (role == 2 && keyLength == 7 && (load<u64>(body) & 0xffffffffffffff) == WORD_ENABLED) keyRole = 3;
      p = innerSpace(<usize>keyEnd);
      if (p >= tokenLimit || load<u8>(p) != COLON) return -1;
      const next = innerValue(innerSpace(p + 1), depth + 1, keyRole);
      if (next < 0) return -1;
      if (keyRole == 2) verdict = innerKind == INNER_OBJECT && innerEnabled;
      else if (keyRole == 3) verdict = innerKind == INNER_ARRAY && innerNonEmpty;
      p = innerSpace(<usize>next);
      if (p >= tokenLimit) return -1;
      const separator = <u32>load<u8>(p);
      if (separator == CLOSE_BRACE) return objectDone(p + 1, verdict);
      if (separator != COMMA) return -1;
      p = innerSpace(p + 1);
    }
  }
  if (first == OPEN_BRACKET) {
    if (depth >= MAX_DEPTH) return -1;
    let p = innerSpace(at + 1);
    if (p < tokenLimit && load<u8>(p) == CLOSE_BRACKET) return arrayDone(p + 1, false);
    while (true) {
      const next = innerValue(p, depth + 1, 0);
      if (next < 0) return -1;
      p = innerSpace(<usize>next);
      if (p >= tokenLimit) return -1;
      const separator = <u32>load<u8>(p);
      if (separator == CLOSE_BRACKET) return arrayDone(p + 1, true);
      if (separator != COMMA) return -1;
      p = innerSpace(p + 1);
    }
  }
  innerKind = INNER_OTHER;
  let end: isize;
  if (first == 0x74) end = at + 4 <= tokenLimit && load<u32>(at) == 0x65757274 ? <isize>(at + 4) : -1; // true
  else if (first == 0x66) end = at + 5 <= tokenLimit && load<u32>(at + 1) == 0x65736c61 ? <isize>(at + 5) : -1; // false
  else if (first == 0x6e) end = at + 4 <= tokenLimit && load<u32>(at) == 0x6c6c756e ? <isize>(at + 4) : -1; // null
  else end = numberEnd(at);
  return end > <isize>tokenLimit ? -1 : end; // a number runs up to a non-digit: the quote closing the token at the latest
}

// @ts-ignore: decorator
@inline function objectDone(end: usize, verdict: bool): isize {
  innerKind = INNER_OBJECT;
  innerEnabled = verdict;
  return <isize>end;
}

// @ts-ignore: decorator
@inline function arrayDone(end: usize, nonEmpty: bool): isize {
  innerKind = INNER_ARRAY;
  innerNonEmpty = nonEmpty;
  return <isize>end;
}
