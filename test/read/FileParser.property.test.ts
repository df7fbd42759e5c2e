// Property: whatever the line, the fast path gives exactly what JSON.parse gives (parseEventJson),
// whatever the chunk boundaries. Lines are drawn to hit the fast path's edges: escapes, unicode, key
// orders, whitespace, decoy fields, nulls, wrong types, malformed JSON and invalid UTF-8.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { FileParser, type FileParserOptions, type ParsedFile } from '../../src/index.ts';
import { hashBytes } from '../../src/read/hashBytes.ts';
import { seededRandom } from '../support/random.ts';
import { expectedOf, LAYOUTS, randomLines, rowsOf, spacedJson } from '../support/randomEvents.ts';

/**
 * The first row whose id or user id hash is not `hashBytes` of its bytes (checked against MurmurHash3's
 * published values in hashBytes.test.ts), or null: the scan in WebAssembly and the JS paths must agree.
 */
function firstWrongHash(parsed: ParsedFile): string | null {
  for (let row = 0; row < parsed.rows; row++) {
    const id = hashBytes(parsed.idBytes, parsed.idOffsets[row]!, parsed.idOffsets[row + 1]!);
    if (parsed.idHashes[row] !== id) return `row ${row}: id hash ${parsed.idHashes[row]}, expected ${id}`;
    if (parsed.userIdNull[row]) continue;
    const userId = hashBytes(parsed.userIdBytes, parsed.userIdOffsets[row]!, parsed.userIdOffsets[row + 1]!);
    if (parsed.userIdHashes[row] !== userId) return `row ${row}: user id hash ${parsed.userIdHashes[row]}, expected ${userId}`;
  }
  return null;
}

/** Parses the lines as one file fed in chunks of `nextSize()` bytes. */
function parseInChunks(lines: string[], nextSize: () => number, options: FileParserOptions = {}): ParsedFile {
  const bytes = new TextEncoder().encode(lines.join('\n'));
  const parser = new FileParser('random.json', 0, options);
  for (let at = 0; at < bytes.length; ) {
    const size = nextSize();
    parser.push(bytes.slice(at, at + size));
    at += size;
  }
  return parser.finish();
}

/** Parses the lines as one file, counting JSON.parse calls: the fast paths make none per line. */
function parseCountingJsonParse(lines: string[]): { parsed: ParsedFile; calls: number; leftToJs: number } {
  const parse = JSON.parse;
  let calls = 0;
  JSON.parse = ((text: string) => (calls++, parse(text))) as typeof JSON.parse;
  try {
    const parser = new FileParser('f');
    parser.push(new TextEncoder().encode(lines.join('\n')));
    return { parsed: parser.finish(), calls, leftToJs: parser.linesLeftToJs };
  } finally {
    JSON.parse = parse;
  }
}

test('a byte-order mark is skipped at the start of a file, and reported anywhere else', () => {
  const line = '{"id":"a","type":"pageview"}';
  const parser = new FileParser('f');
  parser.push(new TextEncoder().encode(`\ufeff${line}\n\ufeff${line.replace('"a"', '"b"')}\n`));
  const parsed = parser.finish();
  assert.is(parsed.rows, 1);
  assert.equal(parsed.rejected, { invalid_json: 1, missing_id: 0, unknown_type: 0 });
  assert.is(parsed.examples[0]!.line, 2);
});

for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) {
  test(`seed ${seed}: 2,000 random lines in random chunks give what JSON.parse gives`, () => {
    const r = seededRandom(seed * 1000);
    const lines = randomLines(seed, 2000);
    const parsed = parseInChunks(lines, () => r.pick([1, 7, 64, 4096, 1 << 20]));
    const expected = expectedOf(lines);
    assert.equal(parsed.rejected, expected.rejected);
    assert.equal(rowsOf(parsed), expected.rows);
    assert.is(firstWrongHash(parsed), null);
    assert.is(parsed.lines, expected.rows.length + Object.values(expected.rejected).reduce((a, b) => a + b, 0));
  });
}

for (const seed of [21, 22, 23]) {
  test(`seed ${seed}: with datetime kept, every path reads it as JSON.parse does (a string, else null), and the rest is unchanged`, () => {
    const r = seededRandom(seed * 1000);
    const lines = randomLines(seed, 2000);
    const parsed = parseInChunks(lines, () => r.pick([1, 7, 64, 4096, 1 << 20]), { datetime: true });
    const expected = expectedOf(lines, { datetime: true });
    assert.equal(parsed.rejected, expected.rejected);
    assert.equal(rowsOf(parsed), expected.rows);
    assert.ok(expected.rows.some((row) => row[7] === null) && expected.rows.some((row) => row[7] !== null), 'both nulls and strings drawn');
    assert.is(parseInChunks(lines, () => 4096).datetime, undefined, 'not kept unless asked');
  });
}

test('datetime on the WebAssembly path: a plain file is read without JS, and escaped or repeated datetimes take the other paths', () => {
  const lines = Array.from({ length: 300 }, (_, i) => JSON.stringify({ id: `e${i}`, datetime: `2021-01-23 10:${String(i % 60).padStart(2, '0')}:00`, type: 'pageview', domain: 'a.com' }));
  const parser = new FileParser('f', 0, { datetime: true });
  parser.push(new TextEncoder().encode(lines.join('\n')));
  assert.is(parser.linesLeftToJs, 0);
  const parsed = parser.finish();
  assert.is(parsed.datetime!.values.length, 60);
  assert.equal(rowsOf(parsed), expectedOf(lines, { datetime: true }).rows);
  const odd = ['{"id":"a","datetime":"2021\\u002d01","type":"pageview"}', '{"id":"b","datetime":"x","datetime":"y","type":"pageview"}', '{"id":"c","datetime":7,"type":"pageview"}'];
  const oddParser = new FileParser('g', 0, { datetime: true });
  oddParser.push(new TextEncoder().encode(odd.join('\n')));
  assert.equal(rowsOf(oddParser.finish()).map((row) => row[7]), ['2021-01', 'y', null]);
});

/**
 * Lines whose strings stress the WebAssembly scan's 64-byte blocks: runs of backslashes and quotes,
 * \\u escapes, control characters and non-ASCII bytes at every offset, long strings; now and then a
 * line corrupted with an invalid escape or a raw control character.
 */
function escapeHeavyLines(seed: number, count: number): string[] {
  const r = seededRandom(seed);
  const piece = () => r.pick(['a', '"', '\\', '\\\\', '/', '\u00e9', 'é', '\u0001', '\n', '😀', ' ', '\t', 'x'.repeat(r.int(70))]);
  const text = () => Array.from({ length: r.int(12) }, piece).join('');
  const lines: string[] = [];
  for (let i = 0; i < count; i++) {
    const user: Record<string, unknown> = { id: r.chance(0.7) ? `u${r.int(9)}` : text(), country: r.pick(['FR', text()]), token: r.chance(0.5) ? r.pick(['{"purposes":{"enabled":["x"]}}', '{}']) : text() };
    const event: Record<string, unknown> = { id: r.chance(0.8) ? `id-${r.int(count)}${'-'.repeat(r.int(80))}` : text(), type: 'pageview', domain: r.chance(0.7) ? 'a.com' : text(), user };
    if (r.chance(0.5)) event.pad = text();
    const keys = Object.keys(event).sort(() => r.next() - 0.5);
    let line = ' '.repeat(r.int(64)) + JSON.stringify(Object.fromEntries(keys.map((key) => [key, event[key]])));
    if (r.chance(0.05)) {
      const at = r.int(line.length);
      line = line.slice(0, at) + r.pick(['\\x', '\\u12', '\u0001', '\\', '"', '\\\u0007']) + line.slice(at);
    }
    lines.push(line);
  }
  return lines;
}

for (const seed of [11, 12, 13, 14]) {
  test(`seed ${seed}: escape-heavy and long strings at every block offset give what JSON.parse gives`, () => {
    const lines = escapeHeavyLines(seed, 3000);
    const { parsed } = parseCountingJsonParse(lines);
    const expected = expectedOf(lines);
    assert.equal(parsed.rejected, expected.rejected);
    assert.equal(rowsOf(parsed), expected.rows);
    assert.is(firstWrongHash(parsed), null);
  });
}

test('past the scan\'s batch, arena and dictionary sizes (70,000 lines, long ids, a token each): what JSON.parse gives', () => {
  const r = seededRandom(99);
  const lines = Array.from({ length: 70_000 }, (_, i) =>
    JSON.stringify({ id: `${i}-${'x'.repeat(r.int(150))}`, type: 'pageview', domain: `d${i % 7}.com`, user: { id: `u${i % 50}`, country: 'FR', token: `{"n":${i}}` } }));
  lines.splice(40_000, 0, '{"id":"bad"', '', '{"id":"e\\u00e9","type":"consent.given"}');
  const parsed = parseInChunks(lines, () => r.pick([1000, 65536, 1 << 20]));
  const expected = expectedOf(lines);
  assert.equal(parsed.rejected, expected.rejected);
  assert.equal(rowsOf(parsed), expected.rows);
  assert.is(parsed.token.values.length, 70_000);
});

test('the usual shape takes the fast path: the token dictionary is filled from bytes, once per distinct token', () => {
  const token = '{\\"purposes\\":{\\"enabled\\":[\\"a\\"]}}';
  const line = (id: number, t = token) => `{"id":"${id}","datetime":"d","domain":"a.com","type":"pageview","user":{"id":"u","country":"FR","token":"${t}"}}`;
  const { parsed, calls } = parseCountingJsonParse([line(1), line(2), line(3, '{}'), line(4)]);
  assert.is(parsed.rows, 4);
  assert.equal(parsed.token.values, ['{"purposes":{"enabled":["a"]}}', '{}']);
  assert.is(calls, 2, 'one JSON.parse per distinct token string, none per line');
});

test('Python json.dumps spacing and whitespace anywhere take the fast path too: no JSON.parse per line', () => {
  const event = (id: number) => ({ id: String(id), datetime: 'd', domain: 'a.com', type: 'pageview', user: { id: 'u', country: 'FR', token: '{"purposes": {"enabled": ["a"]}}' } });
  const r = seededRandom(9);
  const lines = [spacedJson(event(1), LAYOUTS.python!(r)), spacedJson(event(2), LAYOUTS.python!(r)), ...[3, 4, 5].map((id) => ` ${spacedJson(event(id), LAYOUTS.anywhere!(r))}\t`)];
  const { parsed, calls } = parseCountingJsonParse(lines);
  assert.equal(rowsOf(parsed), expectedOf(lines).rows);
  assert.is(calls, 1, 'one JSON.parse for the one distinct token, none per line');
});

test('invalid UTF-8 in any string, in random lines: the line is rejected as on the exact path, the others are kept', () => {
  const r = seededRandom(77);
  const encoder = new TextEncoder();
  // A lone lead byte, a stray continuation, an overlong '/', a UTF-16 surrogate, past U+10FFFF, a cut 4-byte form.
  const invalid = [[0xc3], [0x80], [0xc0, 0xaf], [0xe0, 0x80, 0xaf], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xf5, 0x80, 0x80, 0x80], [0xf0, 0x9f, 0x98]];
  const lines = randomLines(78, 3000);
  const corrupted = lines.map((line) => /[^\x00-\x7f]/.test(line) && r.chance(0.5));
  const bytes = lines.map((line, index) => {
    if (!corrupted[index]) return encoder.encode(line);
    const at = line.search(/[^\x00-\x7f]/); // replace the first non-ASCII character's bytes
    const before = encoder.encode(line.slice(0, at));
    const after = encoder.encode(line.slice(at + (line.codePointAt(at)! > 0xffff ? 2 : 1)));
    return Uint8Array.from([...before, ...r.pick(invalid), ...after]);
  });
  const parser = new FileParser('f');
  parser.push(Uint8Array.from(bytes.flatMap((line, index) => [...line, ...(index < bytes.length - 1 ? [0x0a] : [])])));
  const parsed = parser.finish();
  // Expected: each corrupted line is invalid JSON (a non-blank line that cannot be decoded), the rest as JSON.parse says.
  const expected = expectedOf(lines.map((line, index) => (corrupted[index] ? '{' : line)));
  assert.ok(corrupted.filter(Boolean).length > 100, `corrupted lines: ${corrupted.filter(Boolean).length}`);
  assert.equal(parsed.rejected, expected.rejected);
  assert.equal(rowsOf(parsed), expected.rows);
});

test('any key order, extra and nested fields, decoy ids and types take the fast path: no JSON.parse per line', () => {
  const lines = [
    '{"type":"pageview","user":{"token":"{}","country":"FR","id":"u"},"domain":"a.com","id":"1"}',
    '{"meta":{"id":"decoy","type":"click","list":[1,-2.5e3,true,null,{"user":{"id":"x"}}]},"id":"2","type":"consent.asked","user":{"id":"u","extra":"\\u00e9\\n"}}',
    '{"id":"3","type":"consent.given","domain":null,"user":{"id":null,"country":7,"token":"{}"},"ok":false}',
  ];
  const { parsed, calls } = parseCountingJsonParse(lines);
  assert.equal(rowsOf(parsed), [
    [1, '1', 'a.com', 0, 'u', 'FR', '{}'],
    [2, '2', null, 1, 'u', null, null],
    [3, '3', null, 2, null, null, '{}'],
  ]);
  assert.is(calls, 1, 'one JSON.parse for the one distinct token, none per line');
});

test('the WebAssembly scan itself takes events in any key order and spacing, with extra fields and escaped tokens', () => {
  // Each line has a token with escapes before a field the scan reads after it: a flag left from the token
  // once made the scan leave such lines to JS (a third of its speed, same result).
  const token = JSON.stringify('{"purposes":{"enabled":["ads"]}}');
  const lines = [
    `{"type":"pageview","meta":{"id":"decoy","source":[1,true]},"user":{"token":${token},"country":"FR","id":"u"},"domain":"a.com","datetime":"x","id":"1"}`,
    `{"id": "2", "type": "consent.asked", "user": {"token": ${token}, "id": "u", "country": "DE"}, "domain": "b.fr"}`,
    `{ "user" : { "country" : "ES" , "token" : ${token} } , "type" : "consent.given" , "id" : "3" }`,
    `{"id":"4","type":"pageview","user":{"token":${token},"country":"FRA","id":"u"},"extra":{"type":"x","user":{"id":"y"}}}`,
  ];
  const { parsed, leftToJs } = parseCountingJsonParse(lines);
  assert.equal(rowsOf(parsed), expectedOf(lines).rows);
  assert.is(leftToJs, 0, 'lines left to JS');
});

test('lines in another key order ending in CRLF or trailing whitespace take the second fast path too', () => {
  const lines = ['{"type":"pageview","id":"1","user":{"token":"{}"}}\r', '{"type":"pageview","id":"2","user":{"token":"{}"}} \t\r'];
  const { parsed, calls } = parseCountingJsonParse(lines);
  assert.equal(rowsOf(parsed), expectedOf(lines).rows);
  assert.is(calls, 1, 'one JSON.parse for the one distinct token, none per line');
});

test('escapes in the fields read and a token given as an object take the second fast path: no JSON.parse per line', () => {
  const lines = [
    '{"id":"a\\"1","type":"pageview","domain":"d\\u00e9.com","user":{"id":"u\\\\1","country":"F\\tR","token":{"purposes":{"enabled":["x"]}}}}',
    '{"id":"\\ud83d\\ude00","type":"consent.given","domain":"d\\/e","user":{"id":"u","token":{ "purposes" : {"enabled":["x"]} }}}',
    '{"id":"3","type":"pageview","user":{"token":{"purposes":{"enabled":["x"]}}}}',
    '{"id":"4","type":"pageview","user":{"token":[1, 2.50]}}',
  ];
  const { parsed, calls } = parseCountingJsonParse(lines);
  assert.equal(rowsOf(parsed), expectedOf(lines).rows);
  assert.equal(rowsOf(parsed).map((row) => row.slice(1, 3)), [['a"1', 'dé.com'], ['😀', 'd/e'], ['3', null], ['4', null]]);
  assert.equal(parsed.token.values, ['{"purposes":{"enabled":["x"]}}', '[1,2.5]']);
  // One JSON.parse per distinct token text ({...} compact, {...} spaced, [1, 2.50]), none per line.
  assert.is(calls, 3);
});

test('repeated keys (the last wins), escaped keys and an escaped type take the second fast path: no JSON.parse per line', () => {
  const lines = [
    '{"id":"a","type":"click","id":7,"type":"pageview","id":"b","domain":"x.com","domain":null,"user":{"id":"u","country":"FR"},"user":{"country":"ES","country":"DE"}}',
    '{"\\u0069d":"c","t\\u0079pe":"consent.gi\\u0076en","user":{"token":"{\\"a\\":1}","token":"{\\"purposes\\":{\\"enabled\\":[\\"x\\"]}}","\\u0069d":"v"}}',
    '{"id":"d","type":"pageview","user":{"token":{"purposes":{}},"token":null}}',
  ];
  const { parsed, calls } = parseCountingJsonParse(lines);
  assert.equal(rowsOf(parsed), expectedOf(lines).rows);
  assert.equal(rowsOf(parsed).map((row) => row.slice(1)), [
    ['b', null, 0, null, 'DE', null],
    ['c', null, 2, 'v', null, '{"purposes":{"enabled":["x"]}}'],
    ['d', null, 0, null, null, null],
  ]);
  assert.is(calls, 1, 'one JSON.parse for the one distinct token kept, none per line');
});

test('a repeated token replaced by a later one is still validated: a bad escape in it fails the line as JSON.parse does', () => {
  const lines = ['{"id":"a","type":"pageview","user":{"token":"\\x","token":"{}"}}'];
  const { parsed } = parseCountingJsonParse(lines);
  assert.is(parsed.rows, 0);
  assert.equal(parsed.rejected, expectedOf(lines).rejected);
  assert.is(parsed.rejected.invalid_json, 1);
});

test('non-ASCII text in the fields read and in extra fields takes the second fast path: no JSON.parse per line', () => {
  const lines = [
    '{"id":"é1","type":"pageview","domain":"café.fr","title":"Café 日本 😀 \u2028","user":{"id":"ü","country":"ÉS","token":"{}"}}',
    '{"id":"\ufeffx","type":"pageview","domain":"d\\u00e9-ü.com","user":{"token":"{}"}}',
  ];
  const { parsed, calls } = parseCountingJsonParse(lines);
  assert.equal(rowsOf(parsed), expectedOf(lines).rows);
  assert.equal(rowsOf(parsed).map((row) => row.slice(1, 3)), [['é1', 'café.fr'], ['\ufeffx', 'dé-ü.com']]);
  assert.is(calls, 1, 'one JSON.parse for the one distinct token');
});

test.run();
