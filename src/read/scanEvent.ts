import { ascii, decodeJsonString, equalsBytes, isSpace, skipSpace, typeCodeOf } from './jsonBytes.ts';

/**
 * Where the fields the job reads sit in one line: byte offsets into the line's buffer, each string
 * span without its quotes, escapes undecoded (`escaped` says which hold one); `-1` where the field
 * is absent, null, or not a string (the SPEC reads all three as null). Filled by {@link scanEvent};
 * one instance is reused line after line.
 *
 * @example
 * const spans = new EventSpans();
 * if (scanEvent(bytes, 0, bytes.length, spans)) console.log(EVENT_TYPES[spans.type]);
 */
export class EventSpans {
  idStart = -1;
  idEnd = -1;
  domainStart = -1;
  domainEnd = -1;
  /** Index into EVENT_TYPES. */
  type = -1;
  userIdStart = -1;
  userIdEnd = -1;
  countryStart = -1;
  countryEnd = -1;
  /** The token: its JSON string body, or with `tokenIsValue` the JSON text of another value (an object...). */
  tokenStart = -1;
  tokenEnd = -1;
  /** The token was given as a JSON value other than a string: the SPEC takes it re-serialized. */
  tokenIsValue = false;
  /** The top-level `datetime` string (the events table keeps it). */
  datetimeStart = -1;
  datetimeEnd = -1;
  /** Bits of {@link ESCAPED}: the string fields whose span holds an escape, to be decoded. */
  escaped = 0;
}

/**
 * The bits of `EventSpans.escaped`.
 *
 * @example
 * if (spans.escaped & ESCAPED.id) console.log('the id holds an escape');
 */
export const ESCAPED = { id: 1, domain: 2, userId: 4, country: 8, datetime: 16 } as const;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
/** Deeper extra values go to the exact path (JSON.parse), which has no such limit. */
const MAX_DEPTH = 64;

const [KEY_ID, KEY_DOMAIN, KEY_TYPE, KEY_USER, KEY_COUNTRY, KEY_TOKEN, KEY_DATETIME] = ['id', 'domain', 'type', 'user', 'country', 'token', 'datetime'].map(ascii) as Uint8Array[];
const [TRUE, FALSE, NULL] = ['true', 'false', 'null'].map(ascii) as Uint8Array[];

/**
 * Scans one line as a JSON object, in any key order and with any JSON whitespace, and records in
 * `spans` where the fields the job reads are: top-level `id`, `domain`, `type`, `datetime`, and `user.id`,
 * `user.country`, `user.token`. Every other value, however nested (decoy `id` or `type` keys
 * included), is validated as JSON and skipped. Returns true only for a line that is valid JSON and
 * an event the SPEC accepts (a non-empty string id, a known type); false sends the line to the exact
 * path (JSON.parse), which reports the rejection, or takes what nests deeper than 64 levels. Keys
 * and the type may hold escapes (decoded to compare) or non-ASCII text; a repeated key's last
 * value wins, as in JSON.parse. Escapes in the other fields read are validated and noted in
 * `spans.escaped`; a token given as an object (or any JSON value but null) is validated and noted
 * in `spans.tokenIsValue`. A string token's body is not validated here: its caller decodes it.
 * (The slow equivalent is JSON.parse of the line: a string and an object per line.)
 *
 * @example
 * const spans = new EventSpans();
 * scanEvent(new TextEncoder().encode('{"type": "pageview", "x": [1], "id": "a"}'), 0, 41, spans); // true
 */
export function scanEvent(bytes: Uint8Array, start: number, end: number, spans: EventSpans): boolean {
  spans.idStart = spans.domainStart = spans.type = spans.datetimeStart = -1;
  clearUser(spans);
  spans.escaped = 0;
  let at = skipSpace(bytes, start);
  if (bytes[at] !== OPEN_BRACE) return false;
  // A repeated key's last value wins, as in JSON.parse: each value read replaces the one before.
  let idOk = false;
  at = skipSpace(bytes, at + 1);
  if (bytes[at] !== CLOSE_BRACE) {
    for (;;) {
      if (bytes[at] !== QUOTE) return false;
      const keyEnd = validStringEnd(bytes, at + 1);
      if (keyEnd < 0) return false;
      const key = sawEscape ? topLevelKey(...decoded(bytes, at + 1, keyEnd - 1)) : topLevelKey(bytes, at + 1, keyEnd - 1);
      at = skipSpace(bytes, keyEnd);
      if (bytes[at] !== COLON) return false;
      at = skipSpace(bytes, at + 1);
      const valueStart = at + 1;
      const isString = bytes[at] === QUOTE;
      if (key === ID) {
        // Not a string (missing_id) or an empty one: the exact path reports it, unless a later id replaces it.
        spans.escaped &= ~ESCAPED.id;
        if ((at = isString ? validStringEnd(bytes, valueStart) : skipValue(bytes, at, 0)) < 0) return false;
        idOk = isString && at - 1 > valueStart;
        spans.idStart = valueStart;
        spans.idEnd = at - 1;
        if (isString && sawEscape) spans.escaped |= ESCAPED.id;
      } else if (key === TYPE) {
        // Not a string or not a known type: unknown_type, the exact path reports it, unless a later type replaces it.
        if ((at = isString ? validStringEnd(bytes, valueStart) : skipValue(bytes, at, 0)) < 0) return false;
        spans.type = !isString ? -1 : sawEscape ? typeCodeOf(...decoded(bytes, valueStart, at - 1)) : typeCodeOf(bytes, valueStart, at - 1);
      } else if (key === DOMAIN) {
        spans.escaped &= ~ESCAPED.domain;
        spans.domainStart = -1;
        if ((at = isString ? validStringEnd(bytes, valueStart) : skipValue(bytes, at, 0)) < 0) return false;
        if (isString) {
          spans.domainStart = valueStart;
          spans.domainEnd = at - 1;
          if (sawEscape) spans.escaped |= ESCAPED.domain;
        }
      } else if (key === DATETIME) {
        spans.escaped &= ~ESCAPED.datetime;
        spans.datetimeStart = -1;
        if ((at = isString ? validStringEnd(bytes, valueStart) : skipValue(bytes, at, 0)) < 0) return false;
        if (isString) {
          spans.datetimeStart = valueStart;
          spans.datetimeEnd = at - 1;
          if (sawEscape) spans.escaped |= ESCAPED.datetime;
        }
      } else if (key === USER) {
        clearUser(spans);
        at = bytes[at] === OPEN_BRACE ? scanUser(bytes, at, spans) : skipValue(bytes, at, 0); // another type reads as null
      } else {
        at = skipValue(bytes, at, 0);
      }
      if (at < 0) return false;
      at = skipSpace(bytes, at);
      if (bytes[at] === COMMA) {
        at = skipSpace(bytes, at + 1);
        continue;
      }
      if (bytes[at] !== CLOSE_BRACE) return false;
      break;
    }
  }
  // Only whitespace may follow, up to the line's end: a CR stripped from the end is not the line's.
  if (++at > end) return false;
  for (; at < end; at++) if (!isSpace(bytes[at]!)) return false;
  return idOk && spans.type >= 0;
}

/** Forgets what a `user` object gave: a later `user` key replaces it whole. */
function clearUser(spans: EventSpans): void {
  spans.userIdStart = spans.countryStart = spans.tokenStart = -1;
  spans.tokenIsValue = false;
  spans.escaped &= ~(ESCAPED.userId | ESCAPED.country);
}

/**
 * A key or type holding an escape (rare: `"\u0069d"` is `id`) as the UTF-8 bytes of its text, with
 * their bounds, to compare with the names the job reads.
 */
function decoded(bytes: Uint8Array, start: number, end: number): [Uint8Array, number, number] {
  const text = new TextEncoder().encode(decodeJsonString(bytes, start, end));
  return [text, 0, text.length];
}

// The keys the scan reads, top level and in `user`; 0 is any other key.
const ID = 1;
const DOMAIN = 2;
const TYPE = 4;
const USER = 8;
const USER_ID = 16;
const COUNTRY = 32;
const TOKEN = 64;
const DATETIME = 128;

/** The `user` object at `at`: its id, country and token (a repeated key's last value wins); position after it, or -1. */
function scanUser(bytes: Uint8Array, at: number, spans: EventSpans): number {
  at = skipSpace(bytes, at + 1);
  if (bytes[at] === CLOSE_BRACE) return at + 1;
  for (;;) {
    if (bytes[at] !== QUOTE) return -1;
    const keyEnd = validStringEnd(bytes, at + 1);
    if (keyEnd < 0) return -1;
    const key = sawEscape ? userKey(...decoded(bytes, at + 1, keyEnd - 1)) : userKey(bytes, at + 1, keyEnd - 1);
    at = skipSpace(bytes, keyEnd);
    if (bytes[at] !== COLON) return -1;
    at = skipSpace(bytes, at + 1);
    const valueStart = at;
    const isString = bytes[at] === QUOTE;
    if (key === TOKEN) {
      // A token string's body is validated by its caller, once per distinct text; one a later token
      // replaces is validated here, since JSON.parse would have read it too.
      if (spans.tokenStart >= 0 && !spans.tokenIsValue && validStringEnd(bytes, spans.tokenStart) < 0) return -1;
      spans.tokenStart = -1;
      spans.tokenIsValue = false;
      if (isString) {
        const tokenEnd = escapedStringEnd(bytes, at + 1);
        if (tokenEnd < 0) return -1;
        spans.tokenStart = at + 1;
        spans.tokenEnd = tokenEnd;
        at = tokenEnd + 1;
      } else {
        if ((at = skipValue(bytes, at, 1)) < 0) return -1;
        if (bytes[valueStart] !== 0x6e /* n: null, read as no token */) {
          // A token given as another JSON value (an object...): its text, for its caller to re-serialize.
          spans.tokenStart = valueStart;
          spans.tokenEnd = at;
          spans.tokenIsValue = true;
        }
      }
    } else if (key === USER_ID || key === COUNTRY) {
      const bit = key === USER_ID ? ESCAPED.userId : ESCAPED.country;
      spans.escaped &= ~bit;
      if ((at = isString ? validStringEnd(bytes, valueStart + 1) : skipValue(bytes, at, 1)) < 0) return -1;
      const spanStart = isString ? valueStart + 1 : -1; // another type reads as null
      if (isString && sawEscape) spans.escaped |= bit;
      if (key === USER_ID) {
        spans.userIdStart = spanStart;
        spans.userIdEnd = at - 1;
      } else {
        spans.countryStart = spanStart;
        spans.countryEnd = at - 1;
      }
    } else {
      at = skipValue(bytes, at, 1);
    }
    if (at < 0) return -1;
    at = skipSpace(bytes, at);
    if (bytes[at] === COMMA) {
      at = skipSpace(bytes, at + 1);
      continue;
    }
    return bytes[at] === CLOSE_BRACE ? at + 1 : -1;
  }
}

/** Position after the JSON value at `at` (validated), or -1 for invalid JSON or what this scan leaves to JSON.parse. */
function skipValue(bytes: Uint8Array, at: number, depth: number): number {
  const first = bytes[at];
  if (first === QUOTE) return validStringEnd(bytes, at + 1);
  if (first === OPEN_BRACE || first === OPEN_BRACKET) {
    if (depth >= MAX_DEPTH) return -1;
    const close = first === OPEN_BRACE ? CLOSE_BRACE : CLOSE_BRACKET;
    at = skipSpace(bytes, at + 1);
    if (bytes[at] === close) return at + 1;
    for (;;) {
      if (first === OPEN_BRACE) {
        if (bytes[at] !== QUOTE || (at = validStringEnd(bytes, at + 1)) < 0) return -1;
        at = skipSpace(bytes, at);
        if (bytes[at] !== COLON) return -1;
        at = skipSpace(bytes, at + 1);
      }
      if ((at = skipValue(bytes, at, depth + 1)) < 0) return -1;
      at = skipSpace(bytes, at);
      if (bytes[at] === close) return at + 1;
      if (bytes[at] !== COMMA) return -1;
      at = skipSpace(bytes, at + 1);
    }
  }
  if (first === 0x74) return literalEnd(bytes, at, TRUE);
  if (first === 0x66) return literalEnd(bytes, at, FALSE);
  if (first === 0x6e) return literalEnd(bytes, at, NULL);
  return numberEnd(bytes, at);
}

/** Position after a JSON number at `at` (`-?(0|[1-9]d*)(.d+)?([eE][+-]?d+)?`), or -1. */
function numberEnd(bytes: Uint8Array, at: number): number {
  if (bytes[at] === 0x2d) at++;
  if (bytes[at] === 0x30) at++;
  else if (isDigit(bytes[at]!)) while (isDigit(bytes[at]!)) at++;
  else return -1;
  if (bytes[at] === 0x2e) {
    if (!isDigit(bytes[++at]!)) return -1;
    while (isDigit(bytes[at]!)) at++;
  }
  if (bytes[at] === 0x65 || bytes[at] === 0x45) {
    at++;
    if (bytes[at] === 0x2b || bytes[at] === 0x2d) at++;
    if (!isDigit(bytes[at]!)) return -1;
    while (isDigit(bytes[at]!)) at++;
  }
  return at;
}

/** Whether the string the last {@link validStringEnd} walked held an escape (a module variable: no object per call). */
let sawEscape = false;

/**
 * Position after a string whose body starts at `at`: escapes checked (and noted in
 * {@link sawEscape}), control characters refused, UTF-8 validated as a fatal TextDecoder does (the
 * exact path rejects a line that is not valid UTF-8); -1 for any of those.
 */
function validStringEnd(bytes: Uint8Array, at: number): number {
  sawEscape = false;
  for (;;) {
    const byte = bytes[at++];
    if (byte === QUOTE) return at;
    if (byte === undefined || byte < 0x20) return -1;
    if (byte >= 0x80) {
      if ((at = utf8SequenceEnd(bytes, at - 1)) < 0) return -1;
      continue;
    }
    if (byte === BACKSLASH) {
      sawEscape = true;
      const escaped = bytes[at++];
      if (escaped === 0x75 /* u */) {
        for (let i = 0; i < 4; i++) if (!isHex(bytes[at++]!)) return -1;
      } else if (!(escaped === QUOTE || escaped === BACKSLASH || escaped === 0x2f || escaped === 0x62 || escaped === 0x66
        || escaped === 0x6e || escaped === 0x72 || escaped === 0x74)) {
        return -1;
      }
    }
  }
}

/**
 * Position after the UTF-8 sequence whose lead byte is at `at`, or -1 when it is not one (overlong
 * forms, surrogates and code points past U+10FFFF are not: RFC 3629, as TextDecoder's fatal mode).
 */
function utf8SequenceEnd(bytes: Uint8Array, at: number): number {
  const lead = bytes[at]!;
  let length: number;
  let low = 0x80; // the second byte's range, narrower after some lead bytes
  let high = 0xbf;
  if (lead >= 0xc2 && lead <= 0xdf) length = 2;
  else if (lead >= 0xe0 && lead <= 0xef) {
    length = 3;
    if (lead === 0xe0) low = 0xa0;
    else if (lead === 0xed) high = 0x9f;
  } else if (lead >= 0xf0 && lead <= 0xf4) {
    length = 4;
    if (lead === 0xf0) low = 0x90;
    else if (lead === 0xf4) high = 0x8f;
  } else return -1;
  const second = bytes[at + 1]!;
  if (!(second >= low && second <= high)) return -1;
  for (let i = 2; i < length; i++) if (!(bytes[at + i]! >= 0x80 && bytes[at + i]! <= 0xbf)) return -1;
  return at + length;
}

/**
 * Position of the quote closing the token's string (body at `at`), escapes skipped but not checked
 * (its caller decodes it); -1 at a control character (a newline among them: never past the line).
 */
function escapedStringEnd(bytes: Uint8Array, at: number): number {
  for (;;) {
    const byte = bytes[at];
    if (byte === QUOTE) return at;
    if (byte === undefined || byte < 0x20) return -1;
    if (byte === BACKSLASH && !(bytes[at + 1]! >= 0x20)) return -1;
    at += byte === BACKSLASH ? 2 : 1;
  }
}

function literalEnd(bytes: Uint8Array, at: number, literal: Uint8Array): number {
  for (let i = 0; i < literal.length; i++) if (bytes[at + i] !== literal[i]) return -1;
  return at + literal.length;
}

const isDigit = (byte: number) => byte >= 0x30 && byte <= 0x39;
const isHex = (byte: number) => isDigit(byte) || (byte >= 0x61 && byte <= 0x66) || (byte >= 0x41 && byte <= 0x46);

function topLevelKey(bytes: Uint8Array, start: number, end: number): number {
  if (equalsBytes(bytes, start, end, KEY_ID)) return ID;
  if (equalsBytes(bytes, start, end, KEY_TYPE)) return TYPE;
  if (equalsBytes(bytes, start, end, KEY_DOMAIN)) return DOMAIN;
  if (equalsBytes(bytes, start, end, KEY_USER)) return USER;
  if (equalsBytes(bytes, start, end, KEY_DATETIME)) return DATETIME;
  return 0;
}

function userKey(bytes: Uint8Array, start: number, end: number): number {
  if (equalsBytes(bytes, start, end, KEY_ID)) return USER_ID;
  if (equalsBytes(bytes, start, end, KEY_COUNTRY)) return COUNTRY;
  if (equalsBytes(bytes, start, end, KEY_TOKEN)) return TOKEN;
  return 0;
}
