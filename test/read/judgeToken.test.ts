// The WebAssembly scan judges plain tokens itself (consent or not) instead of leaving JS to decode and
// parse them. Every verdict it gives must be parseToken's (JSON.parse), whatever the token's shape;
// what it cannot judge it must leave to JS. Random tokens of many shapes, valid and not, check both.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { FileParser, type ParsedFile } from '../../src/index.ts';
import { expandFile } from '../../src/job/countPartition.ts';
import { parseToken } from '../../src/expand/parseToken.ts';
import { seededRandom } from '../support/random.ts';

type Random = ReturnType<typeof seededRandom>;

/** A JSON value that may stand where a list, a group or anything else is expected. */
function anyValue(r: Random, depth = 0): unknown {
  const kinds = depth > 3 ? 6 : 9;
  switch (r.int(kinds)) {
    case 0: return null;
    case 1: return r.chance(0.5);
    case 2: return r.pick([0, -1.5, 1e3, 12, 0.25]);
    case 3: return r.pick(['', 'ads', 'Vendor1', 'a b', 'x\'y']);
    case 4: return [];
    case 5: return {};
    case 6: return Array.from({ length: r.int(3) }, () => anyValue(r, depth + 1));
    case 7: return Object.fromEntries(Array.from({ length: r.int(3) }, () => [r.pick(['purposes', 'enabled', 'vendors', 'k']), anyValue(r, depth + 1)]));
    default: return { purposes: { enabled: anyValue(r, depth + 1) } };
  }
}

/** A list as tokens carry them: mostly strings, sometimes empty, sometimes not a list at all. */
function list(r: Random): unknown {
  if (r.chance(0.1)) return anyValue(r);
  return Array.from({ length: r.int(4) }, () => r.pick(['analytics', 'ads', 'social', 'cookies', 'Vendor7']));
}

/** Object text with the given entries (keys may repeat: JSON.parse keeps the last), spaced as `space` says. */
function objectText(entries: [string, string][], space: () => string): string {
  return `{${space()}${entries.map(([key, value]) => `${JSON.stringify(key)}${space()}:${space()}${value}`).join(`,${space()}`)}${space()}}`;
}

/** JSON text of any value, spaced as `space` says. */
function spaced(value: unknown, space: () => string): string {
  if (Array.isArray(value)) return `[${space()}${value.map((item) => spaced(item, space)).join(`,${space()}`)}${space()}]`;
  if (value !== null && typeof value === 'object') return objectText(Object.entries(value).map(([key, item]) => [key, spaced(item, space)]), space);
  return JSON.stringify(value);
}

/** A token text: the usual shape in any key order and spacing, with repeats, decoys, other values, and broken ones. */
function randomToken(r: Random): string {
  const space = r.pick([() => '', () => ' ', () => (r.chance(0.3) ? r.pick([' ', '  ', '\n', '\t']) : '')]);
  const group = (): string => {
    const entries: [string, string][] = [];
    if (r.chance(0.9)) entries.push(['enabled', spaced(list(r), space)]);
    if (r.chance(0.8)) entries.push(['disabled', spaced(list(r), space)]);
    if (r.chance(0.1)) entries.push(['enabled', spaced(list(r), space)]); // repeated: the last counts
    if (r.chance(0.1)) entries.push(['extra', spaced(anyValue(r), space)]);
    if (r.chance(0.3)) entries.reverse();
    return r.chance(0.9) ? objectText(entries, space) : spaced(anyValue(r), space);
  };
  const entries: [string, string][] = [];
  if (r.chance(0.9)) entries.push(['vendors', group()]);
  if (r.chance(0.9)) entries.push(['purposes', group()]);
  if (r.chance(0.1)) entries.push(['purposes', group()]);
  if (r.chance(0.1)) entries.push([r.pick(['decoy', 'Purposes', 'purpose', 'purposess']), objectText([['enabled', '["x"]']], space)]);
  if (r.chance(0.3)) entries.reverse();
  let text = space() + objectText(entries, space) + space();
  if (r.chance(0.05)) text = text.replace('"purposes"', '"purpose\\u0073"'); // an escape in a key: still purposes to JSON.parse
  if (r.chance(0.05)) text = text.replace('"analytics"', '"ana\\"lytics"'); // an escaped quote in a value
  if (r.chance(0.03)) text = text.replace('"ads"', '"adé"');
  if (r.chance(0.05)) text = text.slice(0, r.int(text.length)); // cut short
  if (r.chance(0.05)) text = text.replace(/\]/, r.pick([',]', ']]', ' 01]', ', -]', ', 1.]', ', .5]', ', 1e]', ', tru]', ', nul]', ', 1.5e+3]', ', -0]']));
  if (r.chance(0.03)) text += r.pick([' x', '}', ',', ' ']);
  if (r.chance(0.05)) {
    text = r.pick(['null', ' null ', 'nul', 'null x', '[]', '"text"', '12', 'true', '', ' ', '{}', '{', '}', 'not json', '[{"purposes":{"enabled":[1]}}]',
      `${'['.repeat(70)}${']'.repeat(70)}`, `{"purposes":${'{"a":'.repeat(70)}1${'}'.repeat(70)}}`, '{"purposes":{"enabled":[1]}}']);
  }
  return text;
}

/** One event line per token, the token as the JSON string `user.token` holds. */
function linesOf(tokens: string[]): Uint8Array {
  return new TextEncoder().encode(tokens.map((token, row) =>
    JSON.stringify({ id: `e${row}`, datetime: '2021-01-23 10:00:00', domain: 'a.com', type: 'pageview', user: { id: 'u', country: 'FR', token } })).join('\n') + '\n');
}

function parse(tokens: string[], judgeTokens: boolean): ParsedFile {
  const parser = new FileParser('tokens.json', 0, { judgeTokens });
  parser.push(linesOf(tokens));
  return parser.finish();
}

for (const seed of [1, 2, 3, 4]) {
  test(`seed ${seed}: every verdict the scan gives is parseToken's, and a job's consent per row is JSON.parse's`, () => {
    const r = seededRandom(seed);
    const tokens = Array.from({ length: 2000 }, () => randomToken(r));

    const parsed = parse(tokens, false);
    assert.is(parsed.rows, tokens.length);
    let judged = 0;
    parsed.token.values.forEach((text, code) => {
      const verdict = parsed.tokenVerdicts[code]!;
      if (verdict < 0) return;
      judged++;
      const facts = parseToken(text);
      assert.ok(facts.valid, `judged but invalid: ${text}`);
      assert.is(verdict, facts.consent ? 1 : 0, `verdict on ${text}`);
    });
    assert.ok(judged > parsed.token.values.length / 2, `judged ${judged} of ${parsed.token.values.length}`);

    // Without texts: consent per row from the verdicts or the texts left, against parseToken of each original token.
    const expanded = expandFile(parse(tokens, true), new Map());
    assert.equal([...expanded.consent], tokens.map((token) => (parseToken(token).consent ? 1 : 0)));
    assert.is(expanded.tokens.invalidTokens, tokens.filter((token) => !parseToken(token).valid).length);
  });
}

test('plain tokens in the usual shapes are judged, compact or spaced; escapes in the token\'s own JSON are left to JS', () => {
  const usual = [
    '{"vendors":{"enabled":["Vendor1"],"disabled":[]},"purposes":{"enabled":["analytics"],"disabled":[]}}',
    '{"vendors": {"enabled": [], "disabled": ["Vendor2"]}, "purposes": {"enabled": [], "disabled": ["ads", "social"]}}',
    '{   "purposes":{"disabled":[],"enabled":[]}}',
    'null',
    '{}',
  ];
  const parsed = parse([...usual, '{"purposes":{"enabled":["a\\"b"]}}', '{\n"purposes":{"enabled":["x"]}}'], false);
  const verdictOf = (token: string) => parsed.tokenVerdicts[parsed.token.values.indexOf(token)];
  assert.equal(usual.map(verdictOf), [1, 0, 0, 0, 0]);
  assert.is(verdictOf('{"purposes":{"enabled":["a\\"b"]}}'), -1);
  assert.is(verdictOf('{\n"purposes":{"enabled":["x"]}}'), -1);
});

test.run();
