import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ConsentMetricsError, selectPartitions } from '../../src/index.ts';
import { memorySource } from '../support/memorySource.ts';

const { source } = memorySource({
  'datehour=2021-01-23-11/a.json': '',
  'datehour=2021-01-23-09/a.json': '',
  'datehour=2021-01-23-10/a.json': '',
  'datehour=2021-01-23-99/a.json': '',
  'other/a.json': '',
});
const hours = async (selection = {}) => (await selectPartitions(source, selection)).partitions.map((p) => p.datehour);

test('all partitions, ascending, with a warning for the malformed one', async () => {
  const { partitions, warnings } = await selectPartitions(source);
  assert.equal(partitions, [
    { datehour: '2021-01-23-09', key: 'datehour=2021-01-23-09' },
    { datehour: '2021-01-23-10', key: 'datehour=2021-01-23-10' },
    { datehour: '2021-01-23-11', key: 'datehour=2021-01-23-11' },
  ]);
  assert.equal(warnings, ['ignored partition with a malformed datehour: mem://datehour=2021-01-23-99']);
});

test('an explicit list, kept in datehour order', async () => {
  assert.equal(await hours({ partitions: ['2021-01-23-11', '2021-01-23-09'] }), ['2021-01-23-09', '2021-01-23-11']);
});

test('an inclusive range, open at either end', async () => {
  assert.equal(await hours({ from: '2021-01-23-10', to: '2021-01-23-11' }), ['2021-01-23-10', '2021-01-23-11']);
  assert.equal(await hours({ to: '2021-01-23-09' }), ['2021-01-23-09']);
  assert.equal(await hours({ from: '2021-01-23-11' }), ['2021-01-23-11']);
});

const rejects = async (selection: object, message: RegExp) => {
  try {
    await selectPartitions(source, selection);
  } catch (error) {
    assert.instance(error, ConsentMetricsError);
    assert.match((error as Error).message, message);
    return;
  }
  assert.unreachable(`expected ${message}`);
};

test('a listed partition that does not exist fails, naming it', () =>
  rejects({ partitions: ['2021-01-23-10', '2021-01-23-12'] }, /partition not found: mem:\/\/datehour=2021-01-23-12$/));
test('a range that matches nothing fails', () => rejects({ from: '2021-01-24-00' }, /no datehour= partitions between 2021-01-24-00 and the last/));
test('malformed bounds and a reversed range fail', async () => {
  await rejects({ from: '2021-01-23' }, /^from \(--from\) expects a datehour YYYY-MM-DD-HH, got "2021-01-23"$/);
  await rejects({ partitions: ['yesterday'] }, /^partitions \(--partitions\) expects datehours YYYY-MM-DD-HH, got "yesterday"$/);
  await rejects({ partitions: '2021-02-01-09' as unknown as string[] }, /^partitions \(--partitions\) expects a list of datehours, e.g. \['2021-01-23-10'\], got "2021-02-01-09"$/);
  await rejects({ from: '2021-01-23-11', to: '2021-01-23-10' }, /^from \(--from\) 2021-01-23-11 is after to \(--to\) 2021-01-23-10$/);
});

test.run();
