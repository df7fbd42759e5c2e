import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { formatStageTimes, runJob, STAGES, StageTimes } from '../../src/index.ts';
import { FIXTURES } from '../support/fixtures.ts';

test('measure and wait add each piece of work to its stage', async () => {
  const times = new StageTimes();
  assert.is(times.measure('expand', () => 42), 42);
  assert.is(await times.wait('write', () => sleep(60).then(() => 'done')), 'done');
  const busy = () => { const until = performance.now() + 40; while (performance.now() < until); return Promise.resolve(); };
  await times.wait('write', busy); // synchronous work before the promise counts too
  assert.ok(times.milliseconds.write >= 95 && times.milliseconds.write < 1000, String(times.milliseconds.write));
  assert.ok(times.milliseconds.expand < 50);
  assert.is(times.milliseconds.parse, 0);
});

test('a run accounts for its wall time: main-thread stages and waiting add up to no more than it', async () => {
  const started = performance.now();
  const { times, report } = await runJob({ root: `${FIXTURES}example/input`, out: undefined, dedupLanes: 1 });
  const wall = performance.now() - started;
  const mainThread = STAGES.filter((stage) => !times.besideMainThread.has(stage) && stage !== 'parse').reduce((sum, stage) => sum + times.milliseconds[stage], 0);
  assert.ok(STAGES.every((stage) => times.milliseconds[stage] >= 0));
  assert.ok(mainThread <= wall + 1, `${mainThread} ms of stages in ${wall} ms`);
  assert.equal([...times.besideMainThread].sort(), ['count', 'dedup', 'expand', 'parse'], 'local files: parsed, deduplicated and counted on worker threads');
  assert.ok(times.milliseconds.parse > 0 && times.milliseconds.count > 0 && times.milliseconds.dedup > 0, 'parsing, dedup and counting were timed');
  assert.is(report.events, 57);
  // Two threads: their one dedup lane runs on one of them too; with none, everything runs on the main thread.
  const two = await runJob({ root: `${FIXTURES}example/input`, workers: 2 });
  assert.equal([...two.times.besideMainThread].sort(), ['count', 'dedup', 'expand', 'parse']);
  const none = await runJob({ root: `${FIXTURES}example/input`, workers: 0 });
  assert.equal([...none.times.besideMainThread], []);
  assert.ok(none.times.milliseconds.dedup > 0 && none.times.milliseconds.count > 0);
});

test('the profile gives the main thread\'s busy time, its stages but waiting and those beside it, as a share of the CPU', () => {
  const times = new StageTimes();
  Object.assign(times.milliseconds, { list: 100, metrics: 200, write: 100, waiting: 5000, dedup: 900, parse: 700 });
  times.besideMainThread.add('dedup').add('parse');
  assert.match(formatStageTimes(times, 5400, 8000), /main thread busy 0\.400 s: 5\.0% of the run's 8\.000 s of CPU/);
  assert.not.match(formatStageTimes(times, 5400), /main thread busy/);
});

test.run();
