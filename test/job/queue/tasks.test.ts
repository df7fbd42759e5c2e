// Tasks run by hand, without Redis: what a worker does with a task whose plan it cannot read.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ConsentMetricsError } from '../../../src/index.ts';
import { openWorkStore } from '../../../src/job/queue/WorkStore.ts';
import { PLAN_KEY, runTask, writePlan, type RunPlan } from '../../../src/job/queue/tasks.ts';
import { eventLine } from '../../support/memorySource.ts';

const scratch = await mkdtemp(join(tmpdir(), 'consent-metrics-tasks-'));
const root = join(scratch, 'input');
await mkdir(join(root, 'datehour=2021-01-23-10'), { recursive: true });
await writeFile(join(root, 'datehour=2021-01-23-10', 'part-0.json'), [eventLine({ id: 'a' }), eventLine({ id: 'b' }), eventLine({ id: 'a' })].join('\n') + '\n');

const planFor = (runId: string): RunPlan => ({
  runId, root, partitions: [{ datehour: '2021-01-23-10', key: 'datehour=2021-01-23-10' }], work: join(scratch, 'work', runId),
  buckets: 2, strict: false, concurrency: 4, workers: 0, s3: {}, compression: 'snappy',
});

test('a task reads its run\'s plan from the work folder: the task itself carries no partition names', async () => {
  const plan = planFor('run-a');
  await writePlan(plan, await openWorkStore(plan.work));
  const result = await runTask({ kind: 'read', run: { runId: plan.runId, work: plan.work, s3: {} }, partition: 0 });
  assert.equal([result.files, result.rows, result.idRanges!.length], [1, 3, 4]);
});

test('a plan of another format or run fails the task with one line naming it, and is read again next time', async () => {
  const plan = planFor('run-b');
  const store = await openWorkStore(plan.work);
  await store.put(PLAN_KEY, new TextEncoder().encode(JSON.stringify({ format: 'consent-metrics-run-plan/0', ...plan })));
  const task = { kind: 'read', run: { runId: plan.runId, work: plan.work, s3: {} }, partition: 0 } as const;
  const error = await runTask(task).then(() => null, (failure: Error) => failure);
  assert.instance(error, ConsentMetricsError);
  assert.is(error!.message, `${join(plan.work, PLAN_KEY)} is not a plan this worker reads ("consent-metrics-run-plan/0", run run-b): run workers of the run's version`);
  await writePlan(plan, store); // the failed read is not kept: a retry reads the plan again
  assert.is((await runTask(task)).rows, 3);
});

test.after(() => rm(scratch, { recursive: true, force: true }));
test.run();
