// Tasks run by hand, without Redis: what a worker does with a task whose plan it cannot read, and how the
// run makes the output from the read tasks' counts, less the duplicates the dedup tasks found.
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ConsentMetricsError, openSource, runJob, selectPartitions } from '../../../src/index.ts';
import { makeOutput } from '../../../src/job/queue/makeOutput.ts';
import { openWorkStore } from '../../../src/job/queue/openWorkStore.ts';
import { PLAN_KEY, runTask, writePlan, type RunPlan } from '../../../src/job/queue/tasks.ts';
import { eventLine } from '../../support/memorySource.ts';
import { consecutiveDatehours, writeRetriedEvents } from '../../support/retriedEvents.ts';

const scratch = await mkdtemp(join(tmpdir(), 'consent-metrics-tasks-'));
const root = join(scratch, 'input');
await mkdir(join(root, 'datehour=2021-01-23-10'), { recursive: true });
await writeFile(join(root, 'datehour=2021-01-23-10', 'part-0.json'), [eventLine({ id: 'a' }), eventLine({ id: 'b' }), eventLine({ id: 'a' })].join('\n') + '\n');

const planFor = (runId: string): RunPlan => ({
  runId, root, partitions: [{ datehour: '2021-01-23-10', key: 'datehour=2021-01-23-10' }], work: join(scratch, 'work', runId),
  buckets: 2, strict: false, concurrency: 4, workers: 0, compression: 'snappy',
});

test('a task reads its run\'s plan from the work folder, given the run\'s id and folder', async () => {
  const plan = planFor('run-a');
  await writePlan(plan, await openWorkStore(plan.work));
  const result = await runTask({ kind: 'read', run: { runId: plan.runId, work: plan.work }, partition: 0 });
  assert.equal([result.files, result.rows, result.idRanges!.length], [1, 3, 4]);
});

test('a plan of another format or run fails the task with one line naming it, and is read again next time', async () => {
  const plan = planFor('run-b');
  const store = await openWorkStore(plan.work);
  await store.put(PLAN_KEY, new TextEncoder().encode(JSON.stringify({ format: 'consent-metrics-run-plan/0', ...plan })));
  const task = { kind: 'read', run: { runId: plan.runId, work: plan.work }, partition: 0 } as const;
  const error = await runTask(task).then(() => null, (failure: Error) => failure);
  assert.instance(error, ConsentMetricsError);
  assert.is(error!.message, `${join(plan.work, PLAN_KEY)} is not a plan this worker reads ("consent-metrics-run-plan/0", run run-b): run workers of the run's version`);
  await writePlan(plan, store); // the failed read is not kept: a retry reads the plan again
  assert.is((await runTask(task)).rows, 3);
});

test('the output, made from the read tasks\' counts less the dedup tasks\' losers, a batch at a time: the in-process run\'s bytes; a damaged work file fails it and leaves --out as it was', async () => {
  const input = join(scratch, 'hours');
  writeRetriedEvents(input, { datehours: consecutiveDatehours('2021-01-23-00', 6), seed: 3 });
  const inProcess = join(scratch, 'in-process.parquet');
  const expected = await runJob({ root: input, out: inProcess });
  assert.ok(expected.report.duplicates > 20, `duplicates: ${expected.report.duplicates}`);

  // The stages a queued run adds, run here in order.
  const { partitions } = await selectPartitions(await openSource(input));
  const plan: RunPlan = { ...planFor('run-c'), root: input, partitions, buckets: 3, out: join(scratch, 'out', 'queued.parquet') };
  const store = await openWorkStore(plan.work);
  await writePlan(plan, store);
  const run = { runId: plan.runId, work: plan.work };
  const reads = await Promise.all(partitions.map((_, partition) => runTask({ kind: 'read', run, partition })));
  const dedups = await Promise.all([0, 1, 2].map((bucket) => runTask({ kind: 'dedup', run, bucket, ids: reads.flatMap(({ idRanges }) => idRanges!.slice(2 * bucket, 2 * bucket + 2)) })));
  const read = reads.map(({ rows, groups }, partition) => ({ datehour: partitions[partition]!.datehour, rows: rows!, groups: groups! }));
  const duplicateRanges = dedups.map(({ duplicateRanges }) => duplicateRanges!);
  assert.is(duplicateRanges.reduce((sum, ranges) => sum + ranges.at(-1)! / 4, 0), expected.report.duplicates, 'the losers are the in-process run\'s duplicates');

  // A batch per partition, the losers of all at once, or of each batch apart; one batch for all.
  for (const [groupsPerBatch, losersPerRead, rangedReads] of [[1, 1e9, 3], [1, 1, 18], [1e6, 1e9, 3]] as const) {
    await rm(plan.out!, { force: true });
    let reads = 0;
    const counting = { ...store, getRange: (key: string, start: number, end: number) => (reads++, store.getRange(key, start, end)) };
    const { tables, written } = await makeOutput(plan, counting, {}, read, duplicateRanges, undefined, groupsPerBatch, losersPerRead);
    assert.is(reads, rangedReads, 'one ranged read a bucket for each window of batches');
    assert.is(tables.length, groupsPerBatch === 1 ? 6 : 1);
    assert.equal(written, [plan.out]);
    assert.ok((await readFile(plan.out!)).equals(await readFile(inProcess)), 'the same Parquet bytes');
    assert.is(tables.reduce((rows, table) => rows + table.numRows, 0), expected.metrics.numRows());
  }

  // The fourth partition's counts file cut in half, after three were made into the file: --out keeps the last run's file.
  const damaged = join(plan.work, 'counts', `${partitions[3]!.datehour}.bin`);
  const whole = await readFile(damaged);
  await writeFile(damaged, whole.subarray(0, whole.length >> 1));
  const error = await makeOutput(plan, store, {}, read, duplicateRanges, undefined, 1).then(() => null, (failure: Error) => failure);
  assert.instance(error, ConsentMetricsError);
  assert.match(error!.message, `${damaged} is damaged`);
  assert.equal(await readdir(join(scratch, 'out')), ['queued.parquet']);
  assert.ok((await readFile(plan.out!)).equals(await readFile(inProcess)));
});

test.after(() => rm(scratch, { recursive: true, force: true }));
test.run();
