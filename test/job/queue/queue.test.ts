// Queued runs need Debian's redis-server: without it they are skipped (and `npm test` lists them),
// so the other tests still run on a fresh machine.
import { test } from 'uvu';
import { recordSkip, SYSTEM_NEEDS } from '../../support/systemNeeds.ts';

if (SYSTEM_NEEDS.redis.present()) {
  await import('./queueRuns.ts');
} else {
  recordSkip('redis', 'queued runs (test/job/tasks/queueRuns.ts)');
  test.skip('queued runs, through redis-server', () => {});
  test.run();
}
