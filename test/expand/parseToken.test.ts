import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseToken } from '../../src/index.ts';

const counts = (text: string) => {
  const { valid, consent, purposesEnabled, purposesDisabled, vendorsEnabled, vendorsDisabled } = parseToken(text);
  return [valid, consent, purposesEnabled, purposesDisabled, vendorsEnabled, vendorsDisabled];
};

test('the canonical token and its variants', () => {
  assert.equal(counts('{"vendors":{"enabled":["a","b"],"disabled":["c"]},"purposes":{"enabled":["x"],"disabled":["y","z"]}}'), [true, true, 1, 2, 2, 1]);
  assert.equal(counts('{ "purposes" : { "disabled" : [ ], "enabled" : [ "x" ] } }'), [true, true, 1, 0, 0, 0]);
  assert.equal(counts('{}'), [true, false, 0, 0, 0, 0]);
  assert.equal(counts('null'), [true, false, 0, 0, 0, 0]);
  assert.equal(counts('{"purposes":{"enabled":"analytics"}}'), [true, false, 0, 0, 0, 0]);
  assert.equal(counts('{"purposes":null,"vendors":{"enabled":["v"]}}'), [true, false, 0, 0, 1, 0]);
});

test('invalid tokens say why and have no consent', () => {
  assert.equal([parseToken('{"purposes":').valid, parseToken('{"purposes":').consent], [false, false]);
  assert.match(parseToken('{"purposes":').problem!, /^token is not valid JSON: /);
  assert.is(parseToken('["x"]').problem, 'token is not a JSON object');
  assert.is(parseToken('"text"').problem, 'token is not a JSON object');
});

test.run();
