import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { formatTaskUsage, measureTask, usageByKind } from '../../src/report/TaskUsage.ts';

test('usage by kind: tasks counted, seconds and CPU summed, the highest peak kept, unmeasured tasks left out', () => {
  const byKind = usageByKind([
    { kind: 'read', usage: { seconds: 1, cpuSeconds: 2, peakRssMiB: 200 } },
    { kind: 'dedup', usage: { seconds: 0.5, cpuSeconds: 0.25, peakRssMiB: 300 } },
    { kind: 'read', usage: { seconds: 3, cpuSeconds: 1, peakRssMiB: 150 } },
    { kind: 'read' },
  ]);
  assert.equal(byKind, {
    read: { tasks: 2, seconds: 4, cpuSeconds: 3, peakRssMiB: 200 },
    dedup: { tasks: 1, seconds: 0.5, cpuSeconds: 0.25, peakRssMiB: 300 },
  });
  assert.equal(formatTaskUsage(byKind).split('\n').slice(2), [
    '  read           2        4.00 s        3.00 s         200 MiB',
    '  dedup          1        0.50 s        0.25 s         300 MiB',
  ]);
});

test('a measured task: its wall time and the CPU it burned', async () => {
  const { value, usage } = await measureTask(async () => {
    const until = performance.now() + 60;
    while (performance.now() < until); // 60 ms of CPU
    await new Promise((resolve) => setTimeout(resolve, 40)); // and 40 ms idle
    return 'done';
  });
  assert.is(value, 'done');
  assert.ok(usage.seconds >= 0.09 && usage.seconds < 1, `seconds ${usage.seconds}`); // timers may fire a little early by performance.now()
  assert.ok(usage.cpuSeconds >= 0.05 && usage.cpuSeconds < usage.seconds + 0.05, `CPU ${usage.cpuSeconds}`);
  assert.ok(usage.peakRssMiB > 20);
});

test.run();
