import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { batchesOf, MetricsBatches } from '../../src/job/metricsBatches.ts';

const sizes = (batches: { groups: number }[][]) => batches.map((batch) => batch.map(({ groups }) => groups));

test('a batch closes once its partitions reach 50,000 groups; the last one takes what is left', () => {
  const partitions = [30_000, 30_000, 10_000, 60_000, 5_000, 49_999, 1].map((groups) => ({ groups }));
  assert.equal(sizes(batchesOf(partitions)), [[30_000, 30_000], [10_000, 60_000], [5_000, 49_999], [1]]);
  assert.equal(batchesOf([]), []);
});

test('added one at a time, the same batches, each given back by the partition that completes it', () => {
  const collector = new MetricsBatches<{ groups: number }>(10);
  const given = [4, 5, 1, 12, 3].map((groups) => collector.add({ groups }));
  assert.equal(given.map((batch) => batch && batch.map(({ groups }) => groups)), [undefined, undefined, [4, 5, 1], [12], undefined]);
  assert.equal(collector.take(), [{ groups: 3 }]);
  assert.is(collector.take(), undefined);
});

test.run();
