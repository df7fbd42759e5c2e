// Strict mode with partitions counted on worker threads: the error is still the run's first problem
// in datehour order, whichever thread found it and whenever.
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runJob, StrictModeError } from '../src/index.ts';

const scratch = await mkdtemp(join(tmpdir(), 'consent-metrics-strict-'));
const line = (id: string, token: string) => JSON.stringify({ id, type: 'pageview', domain: 'a.com', user: { id: 'u', country: 'FR', token } });

// Hour 10: an invalid token on line 3 (found while counting). Hour 11: a line that is not JSON (found
// while parsing, which may finish first). Hours after them: many clean lines, still being read.
async function writeRoot(): Promise<string> {
  const root = join(scratch, 'root');
  const hours: Record<string, string[]> = {
    '10': [line('a', '{}'), line('b', '{}'), line('c', '{"purposes":')],
    '11': [line('d', '{}'), '{"id":'],
  };
  for (let hour = 12; hour < 20; hour++) hours[String(hour)] = Array.from({ length: 5000 }, (_, i) => line(`${hour}-${i}`, '{}'));
  for (const [hour, lines] of Object.entries(hours)) {
    await mkdir(join(root, `datehour=2021-01-23-${hour}`), { recursive: true });
    await writeFile(join(root, `datehour=2021-01-23-${hour}`, 'part-0.json'), lines.join('\n'));
  }
  return root;
}

for (const workers of [0, 2]) {
  test(`workers ${workers}: strict mode fails on the invalid token of the earlier hour, not on the later bad line`, async () => {
    const root = await writeRoot();
    const error = await runJob({ root, strict: true, workers }).then(() => null, (caught: Error) => caught);
    assert.instance(error, StrictModeError);
    assert.match(error!.message, `${join(root, 'datehour=2021-01-23-10', 'part-0.json')}:3: invalid_token`);
  });
}

for (const workers of [0, 2]) {
  test(`workers ${workers}: a strict problem in an earlier hour wins over a later file that cannot be read`, async () => {
    const root = join(scratch, `unreadable-${workers}`);
    await mkdir(join(root, 'datehour=2021-01-23-10'), { recursive: true });
    await mkdir(join(root, 'datehour=2021-01-23-11'), { recursive: true });
    await writeFile(join(root, 'datehour=2021-01-23-10', 'part-0.json'), `${line('a', '{}')}\n{"id":\n`);
    await symlink(join(scratch, 'nowhere'), join(root, 'datehour=2021-01-23-11', 'part-0.json')); // listed, but open fails
    const strictError = await runJob({ root, strict: true, workers }).then(() => null, (caught: Error) => caught);
    assert.instance(strictError, StrictModeError);
    assert.match(strictError!.message, 'datehour=2021-01-23-10/part-0.json:2: invalid_json');
    const readError = await runJob({ root, workers }).then(() => null, (caught: Error) => caught);
    assert.match(readError!.message, /cannot read .*datehour=2021-01-23-11\/part-0\.json: ENOENT/);
  });
}

test('not strict: both are reported, in datehour order', async () => {
  const { report } = await runJob({ root: await writeRoot(), workers: 2 });
  assert.equal(report.examples.map((example) => [example.reason, example.line]), [['invalid_token', 3], ['invalid_json', 2]]);
  assert.is(report.invalid_tokens, 1);
});

test.after(() => rm(scratch, { recursive: true, force: true }));
test.run();
