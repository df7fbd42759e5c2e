// Tasks run by hand, without Redis: what a worker does with a task whose plan it cannot read, and the
// three stages (read splits, dedup buckets, count shards) and the output, against an in-process run.
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ConsentMetricsError, openSource, runJob, selectPartitions } from '../../../src/index.ts';
import { makeOutput } from '../../../src/job/tasks/makeOutput.ts';
import { openWorkStore } from '../../../src/job/tasks/openWorkStore.ts';
import { countTasks, plannedReads } from '../../../src/job/tasks/runInTasks.ts';
import { PLAN_KEY, runTask, writePlan, type RunPlan } from '../../../src/job/tasks/tasks.ts';
import { eventLine } from '../../support/memorySource.ts';
import { consecutiveDatehours, writeRetriedEvents } from '../../support/retriedEvents.ts';

const scratch = await mkdtemp(join(tmpdir(), 'consent-metrics-tasks-'));
const root = join(scratch, 'input');
await mkdir(join(root, 'datehour=2021-01-23-10'), { recursive: true });
await writeFile(join(root, 'datehour=2021-01-23-10', 'part-0.json'), [eventLine({ id: 'a' }), eventLine({ id: 'b' }), eventLine({ id: 'a' })].join('\n') + '\n');

const planFor = (runId: string): RunPlan => ({
  runId, root, partitions: [{ datehour: '2021-01-23-10', key: 'datehour=2021-01-23-10' }], work: join(scratch, 'work', runId),
  buckets: 2, strict: false, concurrency: 4, workers: 0, compression: 'snappy', reads: [{ partition: 0, splits: [{ key: 'datehour=2021-01-23-10/part-0.json' }] }], shards: [1],
});

test('a task reads its run\'s plan from the work folder, given the run\'s id and folder', async () => {
  const plan = planFor('run-a');
  await writePlan(plan, await openWorkStore(plan.work));
  const result = await runTask({ kind: 'read', run: { runId: plan.runId, work: plan.work }, read: 0 });
  assert.equal([result.rows, result.idRanges!.length, result.rowRanges!.length, result.lines], [3, 4, 3, [{ file: join(root, 'datehour=2021-01-23-10', 'part-0.json'), lines: 3 }]]);
});

test('a plan of another format or run fails the task with one line naming it, and is read again next time', async () => {
  const plan = planFor('run-b');
  const store = await openWorkStore(plan.work);
  await store.put(PLAN_KEY, new TextEncoder().encode(JSON.stringify({ format: 'consent-metrics-run-plan/0', ...plan })));
  const task = { kind: 'read', run: { runId: plan.runId, work: plan.work }, read: 0 } as const;
  const error = await runTask(task).then(() => null, (failure: Error) => failure);
  assert.instance(error, ConsentMetricsError);
  assert.is(error!.message, `${join(plan.work, PLAN_KEY)} is not a plan this worker reads ("consent-metrics-run-plan/0", run run-b): run workers of the run's version`);
  await writePlan(plan, store); // the failed read is not kept: a retry reads the plan again
  assert.is((await runTask(task)).rows, 3);
});

test('the three stages by hand, files in 2 KiB splits, 3 buckets, 1 or 4 count shards, an hour with no data file: the in-process run\'s report and Parquet bytes, at any batch size; a damaged work file fails the output and leaves --out as it was', async () => {
  const input = join(scratch, 'hours');
  writeRetriedEvents(input, { datehours: consecutiveDatehours('2021-01-23-00', 6), seed: 3 });
  // An hour before them with no data file: a partition with no read task.
  await mkdir(join(input, 'datehour=2021-01-22-23'), { recursive: true });
  await writeFile(join(input, 'datehour=2021-01-22-23', '_SUCCESS'), '');
  const inProcess = join(scratch, 'in-process.parquet');
  const expected = await runJob({ root: input, out: inProcess });
  assert.ok(expected.report.duplicates > 20, `duplicates: ${expected.report.duplicates}`);

  const source = await openSource(input);
  const { partitions } = await selectPartitions(source);
  const listed = await Promise.all(partitions.map((partition) => source.listFiles(partition.key)));
  for (const shards of [1, 4]) {
    const plan: RunPlan = {
      ...planFor(`run-c${shards}`), root: input, partitions, buckets: 3, out: join(scratch, 'out', 'queued.parquet'),
      reads: plannedReads(source, listed.map((keys) => keys.filter((key) => !key.endsWith('_SUCCESS'))), 2048), shards: partitions.map((_, partition) => (partition === 2 ? shards : 1)),
    };
    assert.ok(plan.reads.length > 3 * partitions.length, `${plan.reads.length} reads`);
    const store = await openWorkStore(plan.work);
    await writePlan(plan, store);
    const run = { runId: plan.runId, work: plan.work };
    const reads = await Promise.all(plan.reads.map((_, read) => runTask({ kind: 'read', run, read })));
    const dedups = await Promise.all([0, 1, 2].map((bucket) => runTask({ kind: 'dedup', run, bucket, ids: reads.flatMap(({ idRanges }) => idRanges!.slice(2 * bucket, 2 * bucket + 2)) })));
    assert.is(dedups.reduce((sum, { duplicates }) => sum + duplicates!, 0), expected.report.duplicates, 'the losers are the in-process run\'s duplicates');
    const counting = countTasks(plan, run, reads, dedups, listed.map(() => 2 ** 20)); // 1 MiB: small partitions counted together
    const counted = await Promise.all(counting.tasks.map((task) => runTask(task)));
    assert.equal(plan.reads.filter((read) => read.partition === 0), [], 'the first hour has no read');
    assert.is(counted.length, shards === 1 ? 1 : 2 + shards, 'all six together; or partitions 0-1 together, partition 2 by shard, 3-5 together');
    assert.is(counted.reduce((sum, { kept }) => sum + kept!, 0), expected.report.events);
    const partitionsCounted = counting.partitionsOf(counted);
    assert.is(partitionsCounted[2]!.shardGroups.length, shards);

    // A batch per partition, or one batch for all.
    for (const groupsPerBatch of [1, 1e6]) {
      await rm(plan.out!, { force: true });
      const { tables, written, rows } = await makeOutput(plan, store, {}, partitionsCounted, undefined, groupsPerBatch);
      assert.is(tables!.length, groupsPerBatch === 1 ? 6 : 1);
      assert.equal(written, [plan.out]);
      assert.ok((await readFile(plan.out!)).equals(await readFile(inProcess)), 'the same Parquet bytes');
      assert.is(tables!.reduce((sum, table) => sum + table.numRows, 0), expected.metrics.numRows());
      assert.is(rows, expected.metrics.numRows());
    }
    // More rows than it may keep: the same file, no tables kept.
    await rm(plan.out!, { force: true });
    const unkept = await makeOutput(plan, store, {}, partitionsCounted, undefined, 1, expected.metrics.numRows() - 1);
    assert.is(unkept.tables, undefined);
    assert.is(unkept.rows, expected.metrics.numRows());
    assert.ok((await readFile(plan.out!)).equals(await readFile(inProcess)), 'the same Parquet bytes, kept or not');

    // A bucket's duplicates file damaged: a count (of losers) past its end, or a losing row past its read's
    // rows: a count task fails naming it, never counts without (or with the wrong) losers.
    const duplicates = join(plan.work, 'duplicates', '1.bin');
    const losersBytes = await readFile(duplicates);
    const words = new Int32Array(losersBytes.buffer.slice(losersBytes.byteOffset, losersBytes.byteOffset + losersBytes.length));
    let firstLoser = 0; // the word of the file's first losing row: after each read's count
    while (words[firstLoser] === 0) firstLoser++;
    assert.ok(firstLoser < words.length, 'the bucket has losers');
    for (const [at, value, message] of [
      [0, 0x7fffffff, `^work file ${duplicates} is damaged: its losers of 2021-01-2[23]-\\d\\d( to 2021-01-23-\\d\\d)? end early$`],
      [firstLoser + 1, 100_000_000, `^work files ${join(plan.work, 'duplicates/')} are damaged \\(the losers of ${join(plan.work, 'rows')}/\\d+\\.bin\\): a losing row of 2021-01-23-\\d\\d is not one of the \\d+ rows it is of$`],
    ] as const) {
      const damaged = words.slice();
      damaged[at] = value;
      await writeFile(duplicates, new Uint8Array(damaged.buffer));
      const failed = await Promise.all(counting.tasks.map((task) => runTask(task))).then(() => null, (failure: Error) => failure);
      assert.instance(failed, ConsentMetricsError);
      assert.match(failed!.message, new RegExp(message));
    }
    await writeFile(duplicates, losersBytes);

    // The fourth partition's counts file cut in half, after three were made into the file: --out keeps the last run's file.
    const damaged = join(plan.work, 'counts', `${partitions[4]!.datehour}.0.bin`);
    const whole = await readFile(damaged);
    await writeFile(damaged, whole.subarray(0, whole.length >> 1));
    const error = await makeOutput(plan, store, {}, partitionsCounted, undefined, 1).then(() => null, (failure: Error) => failure);
    assert.instance(error, ConsentMetricsError);
    assert.match(error!.message, `${damaged} is damaged`);
    assert.equal(await readdir(join(scratch, 'out')), ['queued.parquet']);
    assert.ok((await readFile(plan.out!)).equals(await readFile(inProcess)));
    await store.clear();
  }
});

test.after(() => rm(scratch, { recursive: true, force: true }));
test.run();
