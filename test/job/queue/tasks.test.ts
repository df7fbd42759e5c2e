// Tasks run by hand, without Redis: what a worker does with a task whose plan it cannot read, and how the
// run makes the output from the count tasks' counts as they come.
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ConsentMetricsError, openSource, runJob, selectPartitions } from '../../../src/index.ts';
import { startOutput } from '../../../src/job/queue/startOutput.ts';
import { openWorkStore } from '../../../src/job/queue/WorkStore.ts';
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

test('the output, made from each partition\'s counts as its task ends, a batch at a time: the in-process run\'s bytes; a failure leaves --out as it was', async () => {
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
  const counts = await Promise.all(partitions.map((_, partition) => runTask({
    kind: 'count', run, partition, rows: reads[partition]!.rows!, duplicates: dedups.flatMap(({ duplicateRanges }) => duplicateRanges!.slice(2 * partition, 2 * partition + 2)),
  })));

  const output = startOutput(plan, store, {}, 1); // a batch per partition
  for (const count of counts) output.counted(count.groups!);
  output.end();
  const { tables, written } = await output.done;
  assert.is(tables.length, 6);
  assert.equal(written, [plan.out]);
  assert.ok((await readFile(plan.out!)).equals(await readFile(inProcess)), 'the same Parquet bytes');
  assert.is(tables.reduce((rows, table) => rows + table.numRows, 0), expected.metrics.numRows());

  // A count task fails after two partitions were made into the file: --out keeps the last run's file.
  const failing = startOutput(plan, store, {}, 1);
  failing.counted(counts[0]!.groups!);
  failing.counted(counts[1]!.groups!);
  await new Promise((resolve) => setTimeout(resolve, 100));
  const lost = new Error('count task 2 failed');
  failing.fail(lost);
  assert.is(await failing.done.then(() => null, (error: unknown) => error), lost);
  assert.equal(await readdir(join(scratch, 'out')), ['queued.parquet']);
  assert.ok((await readFile(plan.out!)).equals(await readFile(inProcess)));

  // Ended before every partition was counted (a bug, not a fault): a failure, never a shorter file.
  const early = startOutput(plan, store, {}, 1);
  early.counted(counts[0]!.groups!);
  early.end();
  assert.is(await early.done.then(() => null, (error: Error) => error.message), 'the output ended with 5 partition(s) not counted');
  assert.ok((await readFile(plan.out!)).equals(await readFile(inProcess)));
});

test.after(() => rm(scratch, { recursive: true, force: true }));
test.run();
