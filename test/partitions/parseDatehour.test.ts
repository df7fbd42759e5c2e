import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { datehourFromFolder, parseDatehour } from '../../src/index.ts';

test('parseDatehour accepts real calendar hours', () => {
  for (const value of ['2021-01-23-10', '2020-02-29-00', '1999-12-31-23']) assert.is(parseDatehour(value), value);
});

test('parseDatehour rejects impossible or misshapen values', () => {
  for (const value of ['2021-02-29-00', '2021-13-01-00', '2021-01-32-00', '2021-01-23-24', '2021-1-23-10', '2021-01-23', '2021-01-23 10', ' 2021-01-23-10', 'latest']) {
    assert.is(parseDatehour(value), null, value);
  }
});

test('datehourFromFolder reads only datehour= folders', () => {
  assert.is(datehourFromFolder('datehour=2021-01-23-10'), '2021-01-23-10');
  assert.is(datehourFromFolder('datehour=2021-01-23-25'), null);
  assert.is(datehourFromFolder('date=2021-01-23-10'), null);
  assert.is(datehourFromFolder('2021-01-23-10'), null);
});

test.run();
