import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { EventColumns } from '../../src/read/EventColumns.ts';

test('fields are taken with JSON semantics: escapes, unicode, any key order, unknown fields', () => {
  const columns = new EventColumns('f');
  const line = '{"user":{"token":"{\\"purposes\\":{}}","country":"FR","id":"u\\u00e9"},"extra":{"id":"decoy","type":"decoy"},"type":"pageview","domain":"a\\"b","id":"x\\/1"}';
  assert.is(columns.appendJsonLine(line, 7), null);
  assert.equal(
    [columns.id, columns.domain, columns.type, columns.userId, columns.country, columns.token, columns.line],
    [['x/1'], ['a"b'], ['pageview'], ['ué'], ['FR'], ['{"purposes":{}}'], [7]],
  );
});

test('missing user fields become null; a non-string value is not coerced', () => {
  const columns = new EventColumns('f');
  assert.is(columns.appendJsonLine('{"id":"1","type":"consent.asked","domain":42}', 1), null);
  assert.equal([columns.domain, columns.userId, columns.country, columns.token], [[null], [null], [null], [null]]);
});

test('rejections name the reason and what was found', () => {
  const columns = new EventColumns('f');
  assert.equal(columns.appendJsonLine('[1]', 1), { reason: 'invalid_json', detail: 'expected a JSON object, found [1]' });
  assert.is(columns.appendJsonLine('{"id":', 2)?.reason, 'invalid_json');
  assert.equal(columns.appendJsonLine('{"id":7,"type":"pageview"}', 3), { reason: 'missing_id', detail: 'expected a non-empty string "id", found 7' });
  assert.equal(columns.appendJsonLine('{"id":"7","type":"click"}', 4), {
    reason: 'unknown_type', detail: 'expected "type" pageview, consent.asked or consent.given, found "click"',
  });
  assert.is(columns.length, 0);
});

test.run();
