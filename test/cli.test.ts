import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { FIXTURES } from './support/fixtures.ts';
import { readParquetBack } from './support/readParquetBack.ts';
import { runCliProcess } from './support/runCliProcess.ts';

const scratch = await mkdtemp(join(tmpdir(), 'consent-metrics-cli-'));
const BAD_LINES = join(FIXTURES, 'bad-lines', 'input');

/** The stdout table's data rows, split on runs of spaces. */
const tableRows = (stdout: string) => stdout.trim().split('\n').slice(2, -1).map((line) => line.trim().split(/\s+/));

test('no arguments: the bundled example, as a table on stdout and a summary on stderr', async () => {
  const { code, stdout, stderr } = await runCliProcess([]);
  assert.is(code, 0);
  const lines = stdout.trim().split('\n');
  assert.equal(lines[0]!.split(/\s+/), ['datehour', 'domain', 'country', 'pageviews', 'pageviews_with_consent', 'consents_asked',
    'consents_asked_with_consent', 'consents_given', 'consents_given_with_consent', 'avg_pageviews_per_user']);
  const rows = tableRows(stdout);
  assert.is(rows.length, 10);
  assert.equal(rows[6], ['2021-01-23-10', 'www.mywebsite.com', 'FR', '7', '3', '3', '0', '3', '2', '2.3333']);
  assert.is(lines.at(-1), '(10 row(s))');
  assert.match(stderr, 'read 2 partition(s), 2 file(s), 62 line(s): 57 event(s), 5 duplicate(s) dropped');
});

test('--out, --report and --limit: Parquet, the JSON report, and a truncated table', async () => {
  const out = join(scratch, 'bad-lines.parquet');
  const reportPath = join(scratch, 'report.json');
  const { code, stdout, stderr } = await runCliProcess([BAD_LINES, '--out', out, '--report', reportPath, '--limit', '0']);
  assert.is(code, 0, stderr);
  assert.is(stdout.trim().split('\n').at(-1), '... 1 more row(s), 1 in all');
  assert.match(stderr, `wrote ${out}`);
  const report = JSON.parse(await readFile(reportPath, 'utf8'));
  assert.equal(
    [report.lines, report.duplicates, report.rejected, report.invalid_tokens],
    [14, 0, { invalid_json: 5, missing_id: 3, unknown_type: 3 }, 0],
  );
  assert.equal(report.examples[0], { reason: 'invalid_json', file: join(BAD_LINES, 'datehour=2021-01-23-10', 'part-0.json'), line: 2, detail: report.examples[0].detail });
  assert.is((await readParquetBack(out)).rows.length, 1);
});

test('--strict fails on the first reported line, naming file and line, and writes nothing', async () => {
  const out = join(scratch, 'strict.parquet');
  const { code, stdout, stderr } = await runCliProcess([BAD_LINES, '--strict', '--out', out, '--report', join(scratch, 'strict.json')]);
  assert.is(code, 1);
  assert.is(stdout, '');
  assert.is(stderr.trim().split('\n').length, 1);
  assert.match(stderr, `consent-metrics: strict mode: ${join(BAD_LINES, 'datehour=2021-01-23-10', 'part-0.json')}:2: invalid_json:`);
  assert.not.ok(existsSync(out));
  assert.not.ok(existsSync(join(scratch, 'strict.json')));
});

test('--partitions, --from and --to select partitions', async () => {
  const root = join(FIXTURES, 'partition-range', 'input');
  const listed = await runCliProcess([root, '--partitions', '2021-01-22-23,2021-01-23-12']);
  assert.equal(tableRows(listed.stdout).map((row) => row[0]), ['2021-01-22-23', '2021-01-23-12']);
  const ranged = await runCliProcess([root, '--from', '2021-01-22-23', '--to', '2021-01-23-10']);
  assert.equal(tableRows(ranged.stdout).map((row) => row[0]), ['2021-01-22-23', '2021-01-23-10']);
});

const userMistakes: [string, string[], number, RegExp][] = [
  ['a missing root', [join(scratch, 'nope')], 1, /^consent-metrics: input folder not found: .*nope$/],
  ['no partition matched', [BAD_LINES, '--from', '2030-01-01-00'], 1, /^consent-metrics: no datehour= partitions between 2030-01-01-00 and the last under /],
  ['a listed partition missing', [BAD_LINES, '--partitions', '2021-01-23-11'], 1, /^consent-metrics: partition not found: .*datehour=2021-01-23-11$/],
  ['a malformed datehour', [BAD_LINES, '--to', 'today'], 2, /^consent-metrics: to \(--to\) must be a datehour YYYY-MM-DD-HH, got "today"$/],
  ['a day where a datehour belongs', [BAD_LINES, '--partitions', '2021-01-23'], 2, /^consent-metrics: partitions \(--partitions\) must be a list of datehours YYYY-MM-DD-HH, e\.g\. \['2021-01-23-10'\], got \["2021-01-23"\]$/],
  ['an unknown flag', ['--bogus'], 2, /^consent-metrics: Unknown option '--bogus'\nTry 'consent-metrics --help'\.$/],
  ['a bad concurrency', ['--concurrency', '0'], 2, /^consent-metrics: --concurrency must be a whole number from 1, got '0'\n/],
  ['a bad idle timeout', ['--idle-timeout', '0'], 2, /^consent-metrics: --idle-timeout must be a number of seconds above 0, got '0'\n/],
  ['a bad stall timeout', ['--stall-timeout', 'soon'], 2, /^consent-metrics: --stall-timeout must be a number of seconds above 0, got 'soon'\n/],
  ['a bad lookback', ['--lookback', '1.5'], 2, /^consent-metrics: --lookback must be a whole number from 0, got '1\.5'\n/],
  ['a bad attempts count', ['--attempts', '0'], 2, /^consent-metrics: --attempts must be a whole number from 1, got '0'\n/],
  ['a bad compression', ['--compression', 'lzma'], 2, /^consent-metrics: --compression must be one of snappy, zstd, none, got 'lzma'\n/],
  ['--work without --queue', ['--work', join(scratch, 'work')], 2, /^consent-metrics: --work applies with --queue only\n/],
  ['--queue without --work', ['--queue', 'redis://127.0.0.1:1'], 2, /^consent-metrics: queue \(--queue\) needs queue\.work \(--work\): a folder or s3:\/\/ prefix every worker reaches$/],
  ['--buckets with --state', ['--state', join(scratch, 'state'), '--buckets', '8'], 2, /^consent-metrics: buckets \(--buckets\) does not apply with state \(--state\): an incremental run deduplicates in one set$/],
  ['a memory budget below the fixed overhead', [BAD_LINES, '--memory', '64MiB'], 2, /^consent-metrics: memory \(--memory\) 64 MiB is below what a run needs before its data: 188 MiB \(/],
  ['a memory budget that is not a size', ['--memory', 'lots'], 2, /^consent-metrics: memory \(--memory\) must be a size such as 512MiB, 4GB or a number of bytes, got "lots"$/],
  ['a queue URL that is not Redis\'s', ['--queue', 'http://10.0.0.5:6379', '--work', join(scratch, 'work')], 2, /^consent-metrics: queue\.url \(--queue\) must be a redis:\/\/ or rediss:\/\/ URL, got "http:\/\/10\.0\.0\.5:6379"$/],
  ['--temp with --state', ['--state', join(scratch, 'state'), '--temp', join(scratch, 'temp')], 2, /^consent-metrics: temp \(--temp\) does not apply with state \(--state\): an incremental run keeps what does not fit in memory in the state$/],
  ['an output below a file', [BAD_LINES, '--out', join(scratch, 'a-file', 'm.parquet')], 1, /^consent-metrics: cannot write .*a-file\/m\.parquet: .*a-file is a file, not a folder$/],
];
for (const [what, args, exitCode, message] of userMistakes) {
  test(`${what}: exit ${exitCode}, a clear message, no stack trace, no output`, async () => {
    await writeFile(join(scratch, 'a-file'), 'not a folder');
    const before = await readdir(scratch);
    const { code, stdout, stderr } = await runCliProcess(args);
    assert.is(code, exitCode);
    assert.is(stdout, '');
    assert.match(stderr.trim(), message);
    assert.not.match(stderr, /\n\s+at /);
    assert.equal(await readdir(scratch), before);
  });
}

test('--format csv and json print every row; --quiet leaves stderr empty; no progress when stderr is not a terminal', async () => {
  const csv = await runCliProcess(['--format', 'csv', '--quiet']);
  assert.is(csv.code, 0);
  assert.is(csv.stderr, '');
  const lines = csv.stdout.trim().split('\n');
  assert.is(lines.length, 11);
  assert.is(lines[0], 'datehour,domain,country,pageviews,pageviews_with_consent,consents_asked,consents_asked_with_consent,consents_given,consents_given_with_consent,avg_pageviews_per_user');
  assert.is(lines[7], '2021-01-23-10,www.mywebsite.com,FR,7,3,3,0,3,2,2.3333333333333335');
  const json = await runCliProcess(['--format', 'json']);
  const rows = JSON.parse(json.stdout);
  assert.is(rows.length, 10);
  assert.equal(rows[7], { datehour: '2021-01-23-11', domain: 'www.domain-A.eu', country: 'ES', pageviews: 9, pageviews_with_consent: 3,
    consents_asked: 2, consents_asked_with_consent: 0, consents_given: 2, consents_given_with_consent: 1, avg_pageviews_per_user: 4.5 });
  assert.not.match(json.stderr, 'partitions 1/2');
  assert.match(json.stderr, 'read 2 partition(s)');
  const bad = await runCliProcess(['--format', 'xml']);
  assert.equal([bad.code, bad.stderr.split('\n')[0]], [2, "consent-metrics: --format must be one of table, csv, json, got 'xml'"]);
});

test('symbolic links are followed; a dangling one fails the run, naming it', async () => {
  const { mkdir, symlink } = await import('node:fs/promises');
  const root = join(scratch, 'linked');
  await mkdir(join(root, 'datehour=2021-01-23-10'), { recursive: true });
  await symlink(join(BAD_LINES, 'datehour=2021-01-23-10', 'part-0.json'), join(root, 'datehour=2021-01-23-10', 'part-0.json'));
  await symlink(join(FIXTURES, 'example', 'input', 'datehour=2021-01-23-11'), join(root, 'datehour=2021-01-23-11'));
  const linked = await runCliProcess([root, '--format', 'csv', '--quiet']);
  assert.is(linked.code, 0, linked.stderr);
  assert.equal(linked.stdout.trim().split('\n').slice(1).map((line) => line.split(',').slice(0, 4).join(',')),
    ['2021-01-23-10,d1,FR,2', '2021-01-23-11,www.domain-A.eu,ES,9', '2021-01-23-11,www.mywebsite.com,DE,4', '2021-01-23-11,www.mywebsite.com,FR,2']);
  await symlink(join(scratch, 'nowhere.json'), join(root, 'datehour=2021-01-23-10', 'part-1.json'));
  const dangling = await runCliProcess([root]);
  assert.is(dangling.code, 1);
  assert.match(dangling.stderr.trim(), /^consent-metrics: cannot read .*part-1\.json: ENOENT$/);
});

test('--help documents every flag with examples', async () => {
  const { code, stdout } = await runCliProcess(['--help']);
  assert.is(code, 0);
  for (const flag of ['--out', '--partitions', '--from', '--to', '--strict', '--report', '--concurrency', '--workers', '--compression', '--endpoint', '--idle-timeout', '--stall-timeout', '--state', '--lookback', '--memory', '--temp', '--format', '--limit', '--quiet', '--help']) {
    assert.match(stdout, flag);
  }
  assert.match(stdout, 'Examples:');
});

test.after(() => rm(scratch, { recursive: true, force: true }));
test('--profile prints every stage with its time on stderr, nothing on stdout', async () => {
  const { code, stdout, stderr } = await runCliProcess([BAD_LINES, '--profile', '--quiet', '--format', 'csv']);
  assert.is(code, 0, stderr);
  assert.match(stderr, /^profile \(wall \d+\.\d{3} s\):\n/);
  for (const stage of ['list', 'parse', 'assemble', 'expand', 'count', 'metrics', 'waiting', 'lookup', 'dedup', 'write', 'result']) {
    assert.match(stderr, new RegExp(`\\n  ${stage} +\\d+\\.\\d{3} s  `), stage);
  }
  assert.match(stderr, /\nmemory: peak \d+(\.\d)? MiB of a budget of \d+(\.\d)? GiB; nothing spilled\n/);
  assert.not.match(stdout, /profile/);
});

test.run();
