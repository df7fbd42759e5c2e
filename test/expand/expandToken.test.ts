import { Table, Utf8, vectorFromArray } from 'apache-arrow';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { expandToken, Tally } from '../../src/index.ts';
import { dictionaryVector } from '../../src/read/dictionaryVector.ts';

/** A dictionary vector of strings (null allowed), codes in first-seen order. */
function strings(values: (string | null)[]) {
  const distinct = [...new Set(values.filter((value): value is string => value !== null))];
  return dictionaryVector(Int32Array.from(values, (value) => (value === null ? -1 : distinct.indexOf(value))), distinct);
}

const YES = '{"purposes":{"enabled":["a"],"disabled":[]},"vendors":{"enabled":["v1","v2"]}}';
const NO = '{"purposes":{"enabled":[],"disabled":["a"]}}';
const BAD = '{"purposes":';

function events(tokens: (string | null)[]) {
  return new Table({
    token: strings(tokens),
    file: strings(tokens.map(() => 'f.json')),
    line: vectorFromArray(tokens.map((_, index) => index + 1)),
    id: vectorFromArray(tokens.map((_, index) => `e${index}`), new Utf8()),
  });
}

test('each row gathers its token facts; missing and invalid tokens have no consent and null counts', () => {
  const tally = new Tally();
  const table = expandToken(events([YES, NO, null, YES, BAD, NO]), { tally });
  assert.equal([...table.getChild('consent')!], [true, false, false, true, false, false]);
  assert.equal([...table.getChild('purposes_enabled')!], [1, 0, null, 1, null, 0]);
  assert.equal([...table.getChild('purposes_disabled')!], [0, 1, null, 0, null, 1]);
  assert.equal([...table.getChild('vendors_enabled')!], [2, 0, null, 2, null, 0]);
  assert.equal([...table.getChild('vendors_disabled')!], [0, 0, null, 0, null, 0]);
  assert.equal(table.getChild('id')!.toArray(), ['e0', 'e1', 'e2', 'e3', 'e4', 'e5'], 'other columns are kept');
  assert.is(tally.invalidTokens, 1);
  assert.is(tally.examples[0]!.line, 5);
  assert.match(tally.examples[0]!.detail, /^token is not valid JSON/);
});

test('each distinct token string is parsed once, however many rows repeat it', () => {
  const parse = JSON.parse;
  let calls = 0;
  JSON.parse = ((text: string, reviver?: never) => (calls++, parse(text, reviver))) as typeof JSON.parse;
  try {
    expandToken(events(Array.from({ length: 10_000 }, (_, index) => [YES, NO, BAD][index % 3]!)));
  } finally {
    JSON.parse = parse;
  }
  assert.is(calls, 3);
});

test('tables of several record batches are expanded batch by batch', () => {
  const tokens = strings([YES, NO]).concat(strings([NO, null, YES]));
  const file = strings(['f', 'f']).concat(strings(['f', 'f', 'f']));
  const table = expandToken(new Table({ token: tokens, file }));
  assert.is(table.batches.length, 2);
  assert.equal([...table.getChild('consent')!], [true, false, false, false, true]);
  assert.equal([...table.getChild('purposes_enabled')!], [1, 0, 0, null, 1]);
});

test('strict mode fails on the first invalid token, naming its line', () => {
  try {
    expandToken(events([YES, BAD]), { tally: new Tally(true) });
    assert.unreachable();
  } catch (error) {
    assert.match((error as Error).message, /^strict mode: f\.json:2: invalid_token: token is not valid JSON/);
  }
});

test.run();
