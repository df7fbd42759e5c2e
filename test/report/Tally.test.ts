import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ConsentMetricsError, Tally } from '../../src/index.ts';

test('counts every problem, keeps the first five examples of each reason', () => {
  const tally = new Tally();
  for (let line = 1; line <= 8; line++) tally.report({ reason: 'invalid_json', file: 'f', line, detail: 'x' });
  tally.report({ reason: 'invalid_token', file: 'f', line: 9, detail: 'y' });
  assert.is(tally.rejected.invalid_json, 8);
  assert.is(tally.invalidTokens, 1);
  assert.equal(tally.examples.map((problem) => problem.line), [1, 2, 3, 4, 5, 9]);
});

test('merge adds counts and appends examples in merge order; strict merge throws the first problem', () => {
  const first = new Tally();
  const second = new Tally();
  first.lines = 3;
  second.lines = 4;
  second.report({ reason: 'missing_id', file: 'b', line: 1, detail: '' });
  first.report({ reason: 'missing_id', file: 'a', line: 2, detail: '' });
  const merged = new Tally().merge(first).merge(second);
  assert.is(merged.lines, 7);
  assert.is(merged.rejected.missing_id, 2);
  assert.equal(merged.examples.map((problem) => problem.file), ['a', 'b']);
  assert.throws(() => new Tally(true).merge(second), /^strict mode: b:1: missing_id: $/);
  assert.not.throws(() => new Tally(true).merge(new Tally()));
});

test('strict mode throws the first problem as one line', () => {
  try {
    new Tally(true).report({ reason: 'unknown_type', file: 'x.json', line: 12, detail: 'found "click"' });
    assert.unreachable();
  } catch (error) {
    assert.instance(error, ConsentMetricsError);
    assert.is((error as Error).message, 'strict mode: x.json:12: unknown_type: found "click"');
  }
});

test.run();
