// The job's fast path (worker parsing, typed-array dedup and counting, on worker threads or not) and
// the public typed-array path (aggregatePartition) must give exactly what the Arquero-only path
// (computeMetrics) and the naive reference give, on random data: duplicates within
// and across files and partitions, null keys and users, invalid tokens and bad lines.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { ColumnTable } from 'arquero';
import { aggregatePartition, computeMetrics, expandToken, IdSet, METRIC_COLUMNS, metricsFromCounts, openSource, readPartitions, runJob, selectPartitions } from '../../src/index.ts';
import { rowsDiffer, withoutMemory } from '../support/fixtures.ts';
import { seededRandom } from '../support/random.ts';
import { referenceJob } from '../support/referenceJob.ts';

const scratch = await mkdtemp(join(tmpdir(), 'consent-metrics-random-'));
const rows = (table: ColumnTable) => table.objects().map((row) => METRIC_COLUMNS.map((name) => (row as Record<string, unknown>)[name]));

async function writeRandomRoot(seed: number): Promise<string> {
  const r = seededRandom(seed);
  const root = join(scratch, `seed-${seed}`);
  const tokens = ['{"purposes":{"enabled":["a"]}}', '{"purposes":{"enabled":[]}}', '{}', 'broken', null];
  for (let hour = 10; hour < 13; hour++) {
    const folder = join(root, `datehour=2021-01-23-${hour}`);
    await mkdir(folder, { recursive: true });
    for (let file = 0; file < 2; file++) {
      const lines = Array.from({ length: 400 }, () => {
        if (r.chance(0.02)) return r.pick(['{"id":', '', '{"type":"pageview"}', '{"id":"x","type":"click"}']);
        return JSON.stringify({
          id: `e${r.int(900)}`, // many duplicates, within and across files and hours
          datetime: '2021-01-23 10:00:00',
          domain: r.chance(0.95) ? r.pick(['a.com', 'b.com', 'c.org']) : null,
          type: r.pick(['pageview', 'pageview', 'consent.asked', 'consent.given']),
          user: { id: r.chance(0.9) ? `u${r.int(40)}` : null, country: r.chance(0.95) ? r.pick(['FR', 'DE']) : null, token: r.pick(tokens) },
        });
      });
      await writeFile(join(folder, `part-${file}.json`), lines.join('\n'));
    }
  }
  return root;
}

for (const seed of [11, 12, 13]) {
  test(`seed ${seed}: the job equals computeMetrics (Arquero only) and the naive reference`, async () => {
    const root = await writeRandomRoot(seed);
    const fast = await runJob({ root, workers: 2 });

    const source = await openSource(root);
    const { partitions } = await selectPartitions(source);
    const seenIds = new Set<string>();
    const slowParts: ColumnTable[] = [];
    for await (const { table } of readPartitions(source, partitions, { workers: 0 })) {
      slowParts.push(computeMetrics(expandToken(table), { seenIds }));
    }
    const slow = slowParts.reduce((all, part) => all.concat(part));

    // The public typed-array path on Arrow tables: aggregatePartition with an IdSet.
    const seen = new IdSet();
    const typedParts: ColumnTable[] = [];
    for await (const { table } of readPartitions(source, partitions, { workers: 0 })) {
      const { counts, groups } = aggregatePartition(expandToken(table, { counts: false }), seen);
      typedParts.push(metricsFromCounts(counts, groups));
    }
    const typed = typedParts.reduce((all, part) => all.concat(part));

    const reference = referenceJob(root);
    assert.ok(fast.metrics.numRows() > 10);
    assert.is(rowsDiffer(rows(fast.metrics), rows(slow)), null);
    assert.is(rowsDiffer(rows(typed), reference.rows), null);
    assert.is(rowsDiffer(rows(fast.metrics), reference.rows), null);
    assert.equal([fast.report.lines, fast.report.duplicates, fast.report.invalid_tokens], [reference.lines, reference.duplicates, reference.invalid_tokens]);
    assert.equal(fast.report.rejected, reference.rejected);
    // Counted on this thread (no workers): the same rows and the same report, examples in the same order.
    const here = await runJob({ root, workers: 0 });
    assert.is(rowsDiffer(rows(here.metrics), reference.rows), null);
    assert.equal(withoutMemory(here.report), withoutMemory(fast.report));
  });
}

test.after(() => rm(scratch, { recursive: true, force: true }));
test.run();
