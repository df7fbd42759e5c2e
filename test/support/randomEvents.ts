// Random JSON Lines drawn to hit the parser's edges (escapes, unicode, key orders, whitespace, decoy
// fields, nulls, wrong types, malformed JSON), and what JSON.parse says of them: the independent
// expectation the parser's tests compare against.
import { parseEventJson, type ParsedFile } from '../../src/index.ts';
import { seededRandom } from './random.ts';

// ignoreBOM: a value may start with U+FEFF, which a default TextDecoder would drop.
const decode = (bytes: Uint8Array, offsets: Int32Array, row: number) => new TextDecoder('utf-8', { ignoreBOM: true }).decode(bytes.subarray(offsets[row], offsets[row + 1]));

/** Each accepted row of a parsed file as [line, id, domain, type, user, country, token]. */
export function rowsOf(parsed: ParsedFile): unknown[][] {
  const value = (column: { codes: Int32Array; values: string[] }, row: number) => (column.codes[row]! < 0 ? null : column.values[column.codes[row]!]);
  return Array.from({ length: parsed.rows }, (_, row) => [
    parsed.line[row], decode(parsed.idBytes, parsed.idOffsets, row), value(parsed.domain, row), parsed.type[row],
    parsed.userIdNull[row] ? null : decode(parsed.userIdBytes, parsed.userIdOffsets, row), value(parsed.country, row), value(parsed.token, row),
    ...(parsed.datetime ? [value(parsed.datetime, row)] : []),
  ]);
}

/** What JSON.parse says of the same lines: accepted rows and rejection counts. A byte-order mark is skipped at the start of the file only. */
export function expectedOf(lines: string[], { datetime = false } = {}) {
  const rows: unknown[][] = [];
  const rejected = { invalid_json: 0, missing_id: 0, unknown_type: 0 };
  lines.forEach((line, index) => {
    if (index === 0 && line.startsWith('\ufeff')) line = line.slice(1);
    const text = line.endsWith('\r') ? line.slice(0, -1) : line;
    if (text.trim() === '') return;
    const event = parseEventJson(text);
    if ('reason' in event) rejected[event.reason]++;
    else rows.push([index + 1, event.id, event.domain, event.type, event.userId, event.country, event.token, ...(datetime ? [event.datetime] : [])]);
  });
  return { rows, rejected };
}

export type Gap = 'open' | 'beforeComma' | 'afterComma' | 'beforeColon' | 'afterColon' | 'close';

/** JSON with `space(gap)` wherever JSON allows whitespace between tokens, at every depth. */
export function spacedJson(value: unknown, space: (gap: Gap) => string): string {
  const items = (parts: string[], open: string, close: string) =>
    open + space('open') + parts.map((part, i) => (i === 0 ? '' : space('beforeComma') + ',' + space('afterComma')) + part).join('') + space('close') + close;
  if (Array.isArray(value)) return items(value.map((item) => spacedJson(item, space)), '[', ']');
  if (value !== null && typeof value === 'object') {
    return items(Object.entries(value).map(([key, item]) => JSON.stringify(key) + space('beforeColon') + ':' + space('afterColon') + spacedJson(item, space)), '{', '}');
  }
  return JSON.stringify(value);
}

/** Layouts producers write: compact, Python's json.dumps (`, ` and `: `), and any JSON whitespace anywhere. */
export const LAYOUTS: Record<string, (r: ReturnType<typeof seededRandom>) => (gap: Gap) => string> = {
  compact: () => () => '',
  python: () => (gap) => (gap === 'afterComma' || gap === 'afterColon' ? ' ' : ''),
  anywhere: (r) => () => (r.chance(0.3) ? r.pick([' ', '\t', '\r', '  ', ' \t ']) : ''),
};

export function randomLines(seed: number, count: number): string[] {
  const r = seededRandom(seed);
  const text = () => r.pick(['a', 'www.site.com', 'x"y', 'back\\slash', 'tab\there', 'é', '日本', '😀', 'line\u2028sep', '', 'nul\u0000', '\\u0041', 'consent.given', '\ufeffbom']);
  const tokens = [
    '{"vendors":{"enabled":[],"disabled":[]},"purposes":{"enabled":["analytics"],"disabled":[]}}',
    '{"purposes":{"enabled":[]}}', '{ "purposes" : { "enabled" : [ "x" ] } }', '{}', 'not json', '{"a":"\\u00e9\\n"}', '"}}', '',
  ];
  const lines: string[] = [];
  for (let i = 0; i < count; i++) {
    const user: Record<string, unknown> = { id: r.chance(0.9) ? `u${r.int(20)}${r.chance(0.1) ? text() : ''}` : r.pick([null, 7]), country: r.pick(['FR', 'DE', null, 'é', 'E"S', '\t', '\\', 'F']), token: r.chance(0.9) ? r.pick(tokens) : r.pick([null, { purposes: { enabled: ['x'] } }, 3]) };
    if (r.chance(0.05)) delete user.token;
    const event: Record<string, unknown> = {
      id: r.chance(0.95) ? `id-${r.int(count / 2)}${r.chance(0.1) ? text() : ''}` : r.pick([null, '', 42, undefined]),
      datetime: r.chance(0.9) ? `2021-01-23 10:00:0${r.int(10)}` : r.pick([text(), null, 5]),
      domain: r.chance(0.9) ? r.pick(['a.com', 'b.fr']) : r.pick([null, text(), 1]),
      type: r.chance(0.9) ? r.pick(['pageview', 'consent.asked', 'consent.given']) : r.pick(['click', 'PAGEVIEW', null, 'pageview ', 'pageviews', 'consent.aske', 'consent.givenx']),
      user: r.chance(0.95) ? user : r.pick([null, 'user', []]),
    };
    const extra = () => r.pick([{ id: 'decoy', type: 'decoy' }, '","type":"pageview', [1, { user: { id: 'x' } }], -0.5e+3, 0, true, false, null,
      { a: [[], {}, [null, 1.25E-2]], b: 'esc\\"\u00e9\n' }, 'é', 'tab\t']);
    if (r.chance(0.1)) event.extra = extra();
    if (r.chance(0.05) && typeof event.user === 'object' && event.user) (event.user as Record<string, unknown>).extra = extra();
    if (r.chance(0.05)) event.id = undefined;
    let keys = Object.keys(event).filter((key) => event[key] !== undefined);
    if (r.chance(0.2)) keys = keys.sort(() => r.next() - 0.5);
    const space = LAYOUTS[r.pick(['compact', 'compact', 'python', 'anywhere'])]!(r);
    // Now and then a key with whitespace inside ("i d", " type"), or a key one letter longer or shorter
    // ("ids", "typ": the scan matches known keys as words): another key, which must not count as the known one.
    const name = (key: string) => (r.chance(0.05) ? r.pick([`${key[0]} ${key.slice(1)}`, ` ${key}`, `${key}\t`, `${key}s`, key.slice(0, -1)]) : key);
    let line = spacedJson(Object.fromEntries(keys.map((key) => [name(key), event[key]])), space);
    // Now and then a key written with an escape: "\u0069d" is still "id" to JSON.parse.
    if (r.chance(0.05)) line = line.replace(/"(id|type|domain|user|country|token)"/, (_, key: string) => `"\\u${key.charCodeAt(0).toString(16).padStart(4, '0')}${key.slice(1)}"`);
    // Python's json.dumps default (ensure_ascii): every non-ASCII character as \uXXXX escapes.
    if (r.chance(0.2)) line = line.replace(/[^\x00-\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
    if (r.chance(0.05)) line = r.pick([' ', '\t', '\r']) + line;
    if (r.chance(0.05)) line = line.slice(0, r.int(line.length)); // truncated
    // A repeated key: JSON.parse keeps the last value.
    if (r.chance(0.03)) line = line.replace(/\}\s*$/, `,"${r.pick(['id', 'domain', 'type', 'user'])}":${JSON.stringify(r.pick([null, 1, 'b.fr', 'pageview', { id: 'v' }]))}}`);
    if (r.chance(0.03)) line = line.replace('"user":{', `"user":{"${r.pick(['id', 'country', 'token'])}":${JSON.stringify(r.pick([null, 'ES', '{}']))},`);
    // A user key one letter longer or shorter: another key.
    if (r.chance(0.03)) line = line.replace(/"(country|token)":/, (_, key: string) => `"${r.chance(0.5) ? `${key}x` : key.slice(0, -1)}":`);
    // Invalid JSON values where an extra field's value goes: the scan must refuse what JSON.parse refuses.
    if (r.chance(0.03)) line = line.replace(/^\{/, `{"bad":${r.pick(['01', '1.', '-', '.5', '1e', 'tru', 'nul', '"\\x"', '[1,]', '{"a"}', '+1', '"\u0001"'])},`);
    if (r.chance(0.02)) line = r.pick(['', '   ', '[1]', 'null', '42', '"text"', '{"id":"dup","id":"x","type":"pageview"}', '\ufeff{"id":"b","type":"pageview"}']);
    if (r.chance(0.05)) line += r.pick(['\r', ' ', '\t']);
    lines.push(line);
  }
  return lines;
}

