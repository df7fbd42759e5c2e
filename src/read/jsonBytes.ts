import { EVENT_TYPES } from './parseEventJson.ts';

// What the JS paths (scanEvent, and FileParser's decoding of escaped fields) need to read JSON as bytes.

// Functions only, no exported constants: an imported `const` costs a check on every use in a hot loop
// (measured: ~8% on the parser), so each file keeps its own byte constants.

/** The bytes of an ASCII string. */
export function ascii(text: string): Uint8Array {
  return Uint8Array.from(text, (c) => c.charCodeAt(0));
}

/** JSON whitespace within a line: space, tab, CR (a newline ends the line). */
export function isSpace(byte: number): boolean {
  return byte === 0x20 || byte === 0x09 || byte === 0x0d;
}

/** Position of the first byte from `at` that is not JSON whitespace. */
export function skipSpace(bytes: Uint8Array, at: number): number {
  while (isSpace(bytes[at]!)) at++;
  return at;
}

/** Whether `bytes[start, end)` is exactly `literal`. */
export function equalsBytes(bytes: Uint8Array, start: number, end: number, literal: Uint8Array): boolean {
  if (end - start !== literal.length) return false;
  for (let i = 0; i < literal.length; i++) if (bytes[start + i] !== literal[i]) return false;
  return true;
}

const TYPE_BYTES = EVENT_TYPES.map(ascii);

/** Type code of the ASCII bytes `[start, end)` (index into EVENT_TYPES), or -1: a byte compare, no string made. */
export function typeCodeOf(bytes: Uint8Array, start: number, end: number): number {
  for (let code = 0; code < TYPE_BYTES.length; code++) if (equalsBytes(bytes, start, end, TYPE_BYTES[code]!)) return code;
  return -1;
}

const SIMPLE_ESCAPES: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };
/** For spans a scan validated; ignoreBOM keeps a U+FEFF that starts a value. */
const utf8 = new TextDecoder('utf-8', { ignoreBOM: true });

/**
 * The text of a JSON string body `bytes[start, end)` holding escapes (valid UTF-8, its escapes
 * validated by a scan), as JSON.parse would give it; a `\uXXXX` is one UTF-16 code unit, so pairs
 * make their character.
 */
export function decodeJsonString(bytes: Uint8Array, start: number, end: number): string {
  return utf8.decode(bytes.subarray(start, end)).replace(/\\(u[0-9a-fA-F]{4}|.)/g, (_, escape: string) =>
    escape.length > 1 ? String.fromCharCode(parseInt(escape.slice(1), 16)) : SIMPLE_ESCAPES[escape]!);
}
