// Incremental runs (--state) against stateless runs over the same input, byte for byte in Parquet:
// hours arriving one at a time, a late file in an earlier hour, a file replaced in place, a file and a
// whole partition deleted, a run with nothing new, the lookback changed; then a damaged, foreign and
// busy state, and runs killed with SIGKILL at random points. Local folders here; s3rver in state.s3.test.ts.
import { spawn } from 'node:child_process';
import { appendFileSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ConsentMetricsError, METRIC_COLUMNS, runJob, type JobOptions, type JobResult } from '../../src/index.ts';
import { rowsDiffer } from '../support/fixtures.ts';
import { referenceJob } from '../support/referenceJob.ts';
import { acquireStateLock } from '../../src/state/stateLock.ts';
import { openStateStore } from '../../src/state/openStateStore.ts';
import { seededRandom } from '../support/random.ts';
import { consecutiveDatehours, retriedEvents, writeRetriedEvents } from '../support/retriedEvents.ts';

const scratch = await mkdtemp(join(tmpdir(), 'consent-metrics-state-'));
const HOURS = consecutiveDatehours('2021-01-23-00', 12, [7]);
const source = join(scratch, 'all'); // every hour, as the producers will have written them
const partitions = writeRetriedEvents(source, { datehours: HOURS, seed: 21, eventsPerHour: 400 });
let counter = 0;
const fresh = () => join(scratch, `case-${++counter}`);

/**
 * A stateless run over `root` and the incremental run of the same options: same Parquet bytes (the
 * whole history) and counts; the rows given back are those of the datehours the run selected.
 */
async function assertEqualsStateless(root: string, incremental: JobResult, out: string, options: Partial<JobOptions> = {}) {
  const reference = join(scratch, `stateless-${++counter}.parquet`);
  const stateless = await runJob({ root, out: reference, lookback: options.lookback, workers: 0 });
  assert.ok(readFileSync(out).equals(readFileSync(reference)), 'the same Parquet bytes as a stateless run');
  const { events, duplicates, lines, rejected, invalid_tokens, files, partitions: datehours } = stateless.report;
  const { state: _, retries: __, ...report } = incremental.report;
  assert.equal({ events, duplicates, lines, rejected, invalid_tokens, files, partitions: datehours },
    { events: report.events, duplicates: report.duplicates, lines: report.lines, rejected: report.rejected, invalid_tokens: report.invalid_tokens, files: report.files, partitions: report.partitions });
  const selected = (datehour: unknown) => options.partitions?.includes(datehour as string) ?? true;
  assert.equal(incremental.metrics.objects(), stateless.metrics.objects().filter((row) => selected((row as { datehour: string }).datehour)));
  // And, independently of the job's code, the naive reading of the SPEC.
  const naive = referenceJob(root, { lookback: options.lookback });
  assert.is(rowsDiffer(incremental.metrics.objects().map((row) => METRIC_COLUMNS.map((name) => (row as Record<string, unknown>)[name])), naive.rows.filter((row) => selected(row[0]))), null);
  assert.is(incremental.report.duplicates, naive.duplicates);
}

const copyHour = (root: string, datehour: string) => cpSync(join(source, `datehour=${datehour}`), join(root, `datehour=${datehour}`), { recursive: true });

/** A new input folder holding `hours`, a new state location, and an output file beside them. */
function newCase(hours: readonly string[]) {
  const root = fresh();
  mkdirSync(root);
  for (const datehour of hours) copyHour(root, datehour);
  return { root, state: fresh(), out: join(root + '-out', 'm.parquet') };
}

for (const lookback of [undefined, 2]) {
  test(`hours arriving one at a time (lookback ${lookback ?? 'unlimited'}): each run reads its hour only and equals a stateless run`, async () => {
    const { root, state, out } = newCase([]);
    for (const [index, datehour] of HOURS.entries()) {
      copyHour(root, datehour);
      const result = await runJob({ root, state: { location: state }, out, partitions: [datehour], lookback, memory: '1GiB' });
      assert.equal(result.report.state!.read, [datehour]);
      // A budget of 1 GiB holds every earlier id here: none fetched again, nothing spilled.
      assert.equal({ ...result.report.memory!, peak: 0 }, { budget: 2 ** 30, peak: 0, spilled: 0, read_back: 0 });
      assert.equal(result.report.state!.why, { [datehour]: 'new' });
      assert.equal(result.report.state!.recounted, []);
      assert.is(result.report.state!.reused.length, index);
      await assertEqualsStateless(root, result, out, { lookback, partitions: [datehour] });
    }
  });
}

test('a late file in an earlier hour: that hour is read, the later ones recounted from the state, the result exact', async () => {
  const { root, state, out } = newCase(HOURS);
  await runJob({ root, state: { location: state }, out });
  // Copies of events from four hours later, landing late in hour 2: they now win over the later copies.
  const later = partitions.get(HOURS[6]!)![0]!.split('\n').filter(Boolean).slice(0, 60).join('\n') + '\n';
  writeFileSync(join(root, `datehour=${HOURS[2]}`, 'part-00009.json'), later);
  const result = await runJob({ root, state: { location: state }, out });
  assert.equal(result.report.state!.read, [HOURS[2]]);
  assert.equal(result.report.state!.why, { [HOURS[2]!]: 'files added' });
  assert.equal(result.report.state!.recounted, HOURS.slice(3));
  assert.equal(result.report.state!.reused, HOURS.slice(0, 2));
  await assertEqualsStateless(root, result, out);
});

test('a file replaced in place, then one deleted, then a whole hour deleted: each run equals a stateless run', async () => {
  const { root, state, out } = newCase(HOURS);
  await runJob({ root, state: { location: state }, out });

  const replaced = join(root, `datehour=${HOURS[4]}`, 'part-00000.json');
  writeFileSync(replaced, retriedEvents({ datehours: [HOURS[4]!], seed: 99 }).get(HOURS[4]!)![0]!);
  const afterReplace = await runJob({ root, state: { location: state }, out });
  assert.equal(afterReplace.report.state!.why, { [HOURS[4]!]: 'files replaced' });
  await assertEqualsStateless(root, afterReplace, out);

  // The same size and content, only touched: a new modification time still reads it again (it may differ).
  utimesSync(replaced, new Date(), new Date(Date.now() + 5000));
  assert.equal((await runJob({ root, state: { location: state }, out })).report.state!.why, { [HOURS[4]!]: 'files replaced' });

  rmSync(join(root, `datehour=${HOURS[1]}`, 'part-00001.json'));
  const afterDelete = await runJob({ root, state: { location: state }, out });
  assert.equal(afterDelete.report.state!.why, { [HOURS[1]!]: 'files removed' });
  await assertEqualsStateless(root, afterDelete, out);

  rmSync(join(root, `datehour=${HOURS[3]}`), { recursive: true });
  const afterHour = await runJob({ root, state: { location: state }, out });
  assert.equal(afterHour.report.state!.removed, [HOURS[3]]);
  assert.not.ok(afterHour.report.partitions.includes(HOURS[3]!));
  await assertEqualsStateless(root, afterHour, out);
});

test('a run with nothing new reads no raw bytes, writes nothing and commits nothing', async () => {
  const { root, state, out } = newCase(HOURS);
  const first = await runJob({ root, state: { location: state }, out });
  const written = statSync(out).mtimeMs;
  const manifests = () => readdirSync(state).filter((name) => name.startsWith('manifest-'));
  const before = manifests();
  // Raw files made unreadable in content: a run that read any would see other events.
  for (const datehour of HOURS) for (const name of readdirSync(join(root, `datehour=${datehour}`))) appendFileSync(join(root, `datehour=${datehour}`, name), '');
  const again = await runJob({ root, state: { location: state }, out });
  assert.equal(again.report.state!.read, []);
  assert.equal(again.report.state!.recounted, []);
  assert.equal(again.written, []);
  assert.is(statSync(out).mtimeMs, written, 'the output is not rewritten');
  assert.equal(manifests(), before, 'no new generation');
  assert.equal(again.metrics.objects(), first.metrics.objects());
  assert.is(again.report.state!.generation, first.report.state!.generation);
  // A selection gives back its hours' rows of the whole history's result, taken from the state.
  const chosen = [HOURS[2]!, HOURS[5]!];
  const some = await runJob({ root, state: { location: state }, out, partitions: chosen });
  assert.equal(some.report.state!.read, []);
  assert.equal(some.metrics.objects(), first.metrics.objects().filter((row) => chosen.includes((row as { datehour: string }).datehour)));
  assert.ok(some.metrics.numRows() > 0);
});

test('--out DIR/: only the datehours whose result changed are rewritten', async () => {
  const { root, state } = newCase(HOURS.slice(0, 6));
  const out = join(root + '-out') + '/';
  const first = await runJob({ root, state: { location: state }, out });
  assert.is(first.written.length, 6);
  copyHour(root, HOURS[6]!);
  const second = await runJob({ root, state: { location: state }, out });
  assert.equal(second.written.map((path) => /datehour=([^/]+)/.exec(path)![1]), [HOURS[6]]);
  const files = readdirSync(out).sort().map((folder) => readFileSync(join(out, folder, 'part-0.parquet')));
  const reference = join(scratch, 'stateless-dir') + '/';
  await runJob({ root, out: reference });
  assert.equal(readdirSync(reference).sort().map((folder) => readFileSync(join(reference, folder, 'part-0.parquet'))), files);
});

test('the lookback changed between runs: every partition recounted from the state, none read', async () => {
  const { root, state, out } = newCase(HOURS);
  await runJob({ root, state: { location: state }, out });
  const changed = await runJob({ root, state: { location: state }, out, lookback: 1 });
  assert.equal(changed.report.state!.read, []);
  assert.equal(changed.report.state!.recounted, HOURS);
  await assertEqualsStateless(root, changed, out, { lookback: 1 });
});

test('metric columns other than this version\'s (a metric added since, or a manifest from before they were kept): every partition recounted from the state, none read, once', async () => {
  const { root, state, out } = newCase(HOURS);
  await runJob({ root, state: { location: state }, out });
  const edits = [
    (text: string) => text.replace('"avg_pageviews_per_user"', '"avg_pageviews_per_user",\n  "consent_rate"'),
    (text: string) => text.replace(/"metricColumns": \[[^\]]*\],/, ''),
  ];
  for (const edit of edits) {
    const latest = readdirSync(state).filter((name) => name.startsWith('manifest-')).sort().at(-1)!;
    const text = readFileSync(join(state, latest), 'utf8');
    assert.match(text, '"metricColumns": [');
    assert.is.not(edit(text), text);
    writeFileSync(join(state, latest), edit(text));
    const recounted = await runJob({ root, state: { location: state }, out });
    assert.equal(recounted.report.state!.read, []);
    assert.equal(recounted.report.state!.recounted, HOURS);
    await assertEqualsStateless(root, recounted, out);
    const again = await runJob({ root, state: { location: state }, out });
    assert.equal([again.report.state!.read, again.report.state!.recounted], [[], []], 'the next run recounts nothing');
  }
});

test('damaged, foreign and borrowed states fail with one line and change nothing', async () => {
  const { root, state } = newCase(HOURS.slice(0, 3));
  await runJob({ root, state: { location: state } });
  const manifest = readdirSync(state).find((name) => name.startsWith('manifest-'))!;
  const text = readFileSync(join(state, manifest), 'utf8');
  const failure = (options: JobOptions) => runJob(options).then(() => null, (error: Error) => error);
  const expectLine = async (options: JobOptions, pattern: RegExp) => {
    const error = await failure(options);
    assert.instance(error, ConsentMetricsError);
    assert.match(error!.message, pattern);
    assert.not.match(error!.message, /\n/);
  };

  writeFileSync(join(state, manifest), text.slice(0, text.length / 2));
  await expectLine({ root, state: { location: state } }, /state manifest .* is damaged: not JSON/);
  writeFileSync(join(state, manifest), text.replace('"version": 1', '"version": 2'));
  await expectLine({ root, state: { location: state } }, /written in state format version 2; this consent-metrics reads version 1/);
  writeFileSync(join(state, manifest), text.replace(/"rows": \d+/, '"rows": -4'));
  await expectLine({ root, state: { location: state } }, /is damaged: bad counts/);
  writeFileSync(join(state, manifest), text);

  const object = JSON.parse(text).partitions[1].ids.key as string;
  const bytes = readFileSync(join(state, object));
  bytes[bytes.length >> 1]! ^= 0xff;
  writeFileSync(join(state, object), bytes);
  copyHour(root, HOURS[3]!); // the run needs hour 1's ids to confirm a match
  await expectLine({ root, state: { location: state }, lookback: 3 }, /state .* is damaged: .* does not match its checksum/);

  await expectLine({ root: source, state: { location: state } }, /was made from .*, not .*; give each input its own state/);
  const foreign = fresh();
  mkdirSync(foreign);
  writeFileSync(join(foreign, 'notes.txt'), 'mine');
  await expectLine({ root, state: { location: foreign } }, /is not a consent-metrics state \(it holds notes\.txt\)/);
});

test('files staged by a writer killed before its rename: a new state is not refused for them, a day on they are deleted', async () => {
  const { root, state, out } = newCase(HOURS.slice(0, 2));
  mkdirSync(join(state, 'partitions'), { recursive: true });
  const staged = ['lock.json.tmp-1322-f846d5ba', 'manifest-1.json.tmp-77-0a1b2c3d', 'partitions/x.hashes.tmp-5-00ff00ff'];
  for (const name of staged) writeFileSync(join(state, name), 'half written');
  await assertEqualsStateless(root, await runJob({ root, state: { location: state }, out }), out);
  assert.ok(staged.every((name) => existsSync(join(state, name))), 'a staged file younger than a day may be a live writer\'s');

  const twoDaysAgo = new Date(Date.now() - 48 * 3_600_000);
  for (const name of staged) utimesSync(join(state, name), twoDaysAgo, twoDaysAgo);
  copyHour(root, HOURS[2]!);
  await assertEqualsStateless(root, await runJob({ root, state: { location: state }, out }), out);
  assert.equal(staged.filter((name) => existsSync(join(state, name))), [], 'abandoned staged files are gone');
});

const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
const cli = (args: string[]) => spawn(process.execPath, ['--import', 'tsx', MAIN, ...args, '--quiet', '--limit', '0'], { stdio: ['ignore', 'ignore', 'pipe'] });
const finished = (child: ReturnType<typeof cli>) => new Promise<{ code: number | null; signal: string | null; stderr: string }>((resolve) => {
  let stderr = '';
  child.stderr!.on('data', (chunk) => (stderr += chunk));
  child.on('close', (code, signal) => resolve({ code, signal, stderr }));
});

test('two runs on one state at once: the second fails at once with one line, the first is exact', async () => {
  const { root, state, out } = newCase(HOURS);
  const first = runJob({ root, state: { location: state }, out });
  for (let tries = 0; tries < 400 && !existsSync(join(state, 'lock.json')); tries++) await new Promise((resolve) => setTimeout(resolve, 5));
  const started = performance.now();
  const second = await runJob({ root, state: { location: state } }).then(() => null, (error: Error) => error);
  assert.ok(performance.now() - started < 1000, 'at once');
  assert.match(second!.message, /^state .* is in use by another run \(pid \d+ on .*\); try again when it ends$/);
  await assertEqualsStateless(root, await first, out);

  // The CLI says it in one line, with exit code 1, while a run (here, this process) holds the state.
  const lock = await acquireStateLock(await openStateStore(state));
  const refused = await finished(cli([root, '--state', state]));
  await lock.release();
  assert.is(refused.code, 1);
  assert.match(refused.stderr, /^consent-metrics: state .* is in use by another run \(pid \d+ on .*\); try again when it ends\n$/);
  assert.equal((await runJob({ root, state: { location: state }, out })).report.state!.read, [], 'the lock is gone with its run');
});

test('runs killed with SIGKILL at random points: the next run is exact every time', async () => {
  const random = seededRandom(5);
  // Kills land within a run as long as this machine and Node take for one (a fixed window let fast ones finish first).
  const calibration = newCase([HOURS[0]!, HOURS[1]!]);
  const started = performance.now();
  assert.is((await finished(cli([calibration.root, '--state', calibration.state, '--out', calibration.out]))).code, 0);
  const runMilliseconds = performance.now() - started;
  const { root, state, out } = newCase([]);
  let killed = 0;
  for (const [index, datehour] of HOURS.entries()) {
    copyHour(root, datehour);
    if (index === 8) writeFileSync(join(root, `datehour=${HOURS[2]}`, 'part-00007.json'), partitions.get(HOURS[5]!)![1]!); // late copies
    // Two runs killed in a row (a kill may land before, during or after the commit), then one checked.
    for (let run = 0; run < 2; run++) {
      const child = cli([root, '--state', state, '--out', out]);
      const done = finished(child);
      setTimeout(() => child.kill('SIGKILL'), runMilliseconds * (0.05 + 0.9 * random.next()));
      if ((await done).signal === 'SIGKILL') killed++;
    }
    const result = await runJob({ root, state: { location: state }, out });
    await assertEqualsStateless(root, result, out);
  }
  assert.ok(killed >= 12, `most runs were killed mid-way: ${killed}`);
});

test.after(() => rm(scratch, { recursive: true, force: true }));
test.run();
