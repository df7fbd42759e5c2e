// A run under a memory budget (`memory`, `--memory`): sizes read as people write them, the budget's
// default from the machine or its container, the choice between an in-process run and one in tasks
// on threads, results equal to the unbounded run's, and faults caused for real in child processes: the
// temporary folder full (a file-size limit), the process killed with SIGKILL mid-spill then run again,
// SIGTERM mid-spill.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { gzipSync } from 'node:zlib';
import { hostname, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { METRIC_COLUMNS, MetricsNotKeptError, OptionError, runJob, type RunReport } from '../../src/index.ts';
import { availableMemory, boundedPlan, DEFAULT_MEMORY_SHARE, inProcessPeak, memoryBudget, MIN_MEMORY, parseSize, QUEUE_TASK_SIZES } from '../../src/job/memoryBudget.ts';
import { runBounded } from '../../src/job/tasks/runBounded.ts';
import { runInTasks } from '../../src/job/tasks/runInTasks.ts';
import { openThreadSession } from '../../src/job/tasks/threadSession.ts';
import { removeAbandoned } from '../../src/job/tasks/spillFolder.ts';
import { FIXTURES, goldenCases, rowsDiffer, withoutMemory } from '../support/fixtures.ts';

const MiB = 2 ** 20;
const scratch = await mkdtemp(join(tmpdir(), 'consent-metrics-memory-'));
const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));

test('sizes as people write them; anything else refused naming the option', () => {
  const cases: [number | string, number][] = [['512MiB', 512 * MiB], ['4GB', 4e9], ['1.5 GiB', 1.5 * 2 ** 30], ['300000000', 3e8], ['64kib', 65536], [1e9, 1e9], ['2TB', 2e12]];
  for (const [size, bytes] of cases) assert.is(parseSize(size, 'memory'), bytes, String(size));
  for (const bad of ['', '1x', '-5MB', '0', 'MiB', 'ten GB', 0, -1, Number.NaN]) {
    assert.throws(() => parseSize(bad, 'memory (--memory)'), (error: Error) => error instanceof OptionError && error.message.startsWith('memory (--memory) must be a size'), String(bad));
  }
});

test("the default budget: 80% of the machine's memory, or of its container's limit when lower (cgroup v2, then v1)", () => {
  const files = (contents: Record<string, string>) => (path: string) => {
    if (!(path in contents)) throw Object.assign(new Error('ENOENT'), { code: 'ENOENT' });
    return contents[path]!;
  };
  assert.is(availableMemory(files({})), totalmem());
  assert.is(availableMemory(files({ '/sys/fs/cgroup/memory.max': 'max\n' })), totalmem());
  assert.is(availableMemory(files({ '/sys/fs/cgroup/memory.max': '1073741824\n' })), 2 ** 30);
  assert.is(availableMemory(files({ '/sys/fs/cgroup/memory/memory.limit_in_bytes': '536870912\n' })), 512 * MiB);
  assert.is(availableMemory(files({ '/sys/fs/cgroup/memory/memory.limit_in_bytes': '9223372036854771712\n' })), totalmem(), 'v1 without a limit');
  assert.is(memoryBudget(undefined, () => 10 * 2 ** 30), Math.floor(DEFAULT_MEMORY_SHARE * 10 * 2 ** 30));
  assert.is(memoryBudget('1GiB'), 2 ** 30);
  assert.is(memoryBudget(undefined, () => 200 * MiB), MIN_MEMORY, 'a container of 200 MiB: 80% is below the least, taken as the least (small runs fit)');
  assert.throws(() => memoryBudget(160 * MiB), /below what a run needs before its data: 188 MiB/, 'given below the least: refused');
  assert.throws(() => memoryBudget(MIN_MEMORY - 1), (error: Error) => error instanceof OptionError);
  assert.is(memoryBudget(MIN_MEMORY), MIN_MEMORY);
});

test("a bounded run's shape: threads the budget can give a task each, tasks no larger than the queue's, smaller as the budget shrinks", () => {
  const least = boundedPlan(MIN_MEMORY, 8);
  assert.is(least.threads, 1, 'the least budget gives one thread');
  const small = boundedPlan(512 * MiB, 2);
  assert.is(small.threads, 2);
  const large = boundedPlan(16 * 2 ** 30, 2);
  assert.equal(large.sizes, QUEUE_TASK_SIZES, 'a large budget: the queue\'s sizes, no larger');
  assert.ok(boundedPlan(16 * 2 ** 30, 64).threads === 64 && boundedPlan(2 ** 30, 64).threads < 64, 'threads follow the budget');
  for (const key of ['splitBytes', 'bucketBytes', 'countShardBytes'] as const) {
    assert.ok(least.sizes[key] <= small.sizes[key] && small.sizes[key] <= large.sizes[key], key);
    assert.ok(small.sizes[key] < QUEUE_TASK_SIZES[key], `${key} shrinks under 512 MiB`);
  }
  assert.ok(Number.isInteger(Math.log2(small.sizes.splitBytes)), 'splits are a power of two');
});

test('the in-process estimate grows with the ids of the run and with its largest partition', () => {
  const base = { bytes: 1e9, largestPartition: 1e7, partitions: 100, threads: 2 };
  assert.ok(inProcessPeak({ ...base, bytes: 2e9 }) > inProcessPeak(base));
  assert.ok(inProcessPeak({ ...base, largestPartition: 1e8 }) > inProcessPeak(base));
  assert.ok(inProcessPeak({ ...base, bytes: 0, largestPartition: 0 }) > 100 * MiB, 'the fixed part');
});

for (const golden of goldenCases()) {
  test(`golden ${golden.name} in tasks on threads, in 64-byte splits, 3 buckets and 2 count shards: its expected.json, the in-process report, the temporary folder emptied`, async () => {
    const temp = join(scratch, `golden-${golden.name}`);
    const { metrics, report, work } = await runBounded({ root: golden.root, ...golden.options, splitBytes: 64, buckets: 3, countShards: 2 }, { budget: MIN_MEMORY, temp });
    const rows = metrics.objects().map((row) => METRIC_COLUMNS.map((name) => (row as Record<string, unknown>)[name]));
    assert.is(rowsDiffer(rows, golden.rows), null);
    assert.equal(report, withoutMemory((await runJob({ root: golden.root, ...golden.options })).report));
    assert.ok(work.written > 0 && work.read > 0, 'ids, rows, duplicates and counts went through the folder');
    assert.equal(readdirSync(temp), []);
  });
}

// One hour of 300k events (~112 MB): more than an in-process run fits in the least budget.
const hour = join(scratch, 'hour');
execFileSync(process.execPath, ['--import', 'tsx', 'bench/generate.ts', '--events', '300000', '--hours', '1', '--files', '3', '--seed', '11', '--out', hour]);
const unboundedOut = join(scratch, 'unbounded.parquet');
const unbounded = await runJob({ root: hour, out: unboundedOut });

test('runJob under the least budget runs the hour in tasks, spilling; the same bytes as the unbounded run; the report says so', async () => {
  const temp = join(scratch, 'temp-least');
  const out = join(scratch, 'bounded.parquet');
  const progress: { done: number; of: number }[] = [];
  const bounded = await runJob({ root: hour, out, memory: MIN_MEMORY, temp, onTask: (step) => progress.push(step), onPartition: () => assert.unreachable('a run in tasks takes no partition at a time') });
  assert.ok(progress.length > 3 && progress.every(({ done, of }, at) => done === at + 1 && of === progress.length), `onTask: every task, in order of its end: ${JSON.stringify(progress.slice(0, 3))}...`);
  assert.ok((await readFile(out)).equals(await readFile(unboundedOut)), 'the same Parquet bytes');
  assert.equal(bounded.metrics.objects(), unbounded.metrics.objects());
  assert.equal(withoutMemory(bounded.report), withoutMemory(unbounded.report));
  const { memory } = bounded.report;
  assert.is(memory!.budget, MIN_MEMORY);
  assert.ok(memory!.spilled > 10 * MiB && memory!.read_back >= memory!.spilled * 0.9, `spilled ${memory!.spilled}, read back ${memory!.read_back}`);
  assert.ok(memory!.peak > 50 * MiB, 'the peak is the process\'s resident memory');
  assert.is(unbounded.report.memory!.spilled, 0, 'the default budget: in-process, nothing spilled');
  assert.equal(readdirSync(temp), [], 'its folder removed');
});

test('a bounded run that writes more rows than it keeps: the file whole; reading metrics says where they are', async () => {
  const out = join(scratch, 'unkept.parquet');
  const temp = join(scratch, 'temp-unkept');
  await mkdir(temp, { recursive: true });
  const result = await runInTasks({ root: hour, out }, { work: temp, openSession: async () => openThreadSession(1), readThreads: 0, keepRows: 10 });
  assert.ok((await readFile(out)).equals(await readFile(unboundedOut)), 'the same Parquet bytes');
  assert.throws(() => result.metrics, (error: Error) => error instanceof MetricsNotKeptError && error.message.includes(out) && error.message.includes(`${unbounded.metrics.numRows()} rows`));
});

/** The CLI under the least budget on the hour, its spill folders in `temp`: a child process, with what it printed. */
function spawnBounded(temp: string, out: string, shell = '') {
  const command = `${shell}exec "${process.execPath}" --import tsx "${MAIN}" "${hour}" --out "${out}" --memory ${MIN_MEMORY} --temp "${temp}" --quiet --limit 0`;
  const child = spawn('bash', ['-c', command], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk));
  const exit = new Promise<{ code: number | null; signal: string | null; stderr: string }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal, stderr })));
  return { child, exit };
}

/** Waits until a run's folder in `temp` holds a read task's ids file: the run is spilling. Returns the folder. */
async function spilling(temp: string): Promise<string> {
  const idsFiles = (folder: string) => readdirSync(folder).flatMap((run) => (existsSync(join(folder, run, 'ids')) ? readdirSync(join(folder, run, 'ids')) : []));
  for (let waited = 0; waited < 60_000; waited += 20) {
    const folder = existsSync(temp) ? readdirSync(temp).find((name) => name.startsWith('consent-metrics-spill-')) : undefined;
    try {
      if (folder && idsFiles(join(temp, folder)).length > 0) return join(temp, folder);
    } catch {
      // removed while looked at: look again
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`no run spilled in ${temp} within a minute`);
}

test('the temporary folder full (a file-size limit): one line naming it, exit 1, nothing at --out, nothing left in it', async () => {
  const temp = join(scratch, 'temp-full');
  const out = join(scratch, 'full.parquet');
  const { code, stderr } = await spawnBounded(temp, out, 'ulimit -f 1024; ').exit; // 1 MiB a file: the first ids or rows file is larger
  assert.is(code, 1, stderr);
  assert.match(stderr, new RegExp(`^consent-metrics: the temporary folder ${temp} \\(temp, --temp\\) takes no file that large \\(a file-size limit\\) \\(EFBIG\\)`));
  assert.is(stderr.trim().split('\n').length, 1, stderr);
  assert.not.ok(existsSync(out), 'nothing written at --out');
  assert.equal(readdirSync(temp), [], 'its folder removed');
});

test('killed with SIGKILL mid-spill: its folder is left; the next run removes it and is exact', async () => {
  const temp = join(scratch, 'temp-killed');
  const out = join(scratch, 'killed.parquet');
  const run = spawnBounded(temp, out);
  const folder = await spilling(temp);
  run.child.kill('SIGKILL');
  assert.is((await run.exit).signal, 'SIGKILL');
  assert.ok(existsSync(folder), 'a killed process cannot remove its folder');
  assert.not.ok(existsSync(out));
  const again = await spawnBounded(temp, out).exit;
  assert.is(again.code, 0, again.stderr);
  assert.ok((await readFile(out)).equals(await readFile(unboundedOut)), 'the same Parquet bytes as the unbounded run');
  assert.equal(readdirSync(temp), [], 'the killed run\'s folder removed by the next, the next\'s own at its end');
});

test('SIGTERM mid-spill: the task threads stopped, the folder removed, the process ended by the signal, nothing at --out', async () => {
  const temp = join(scratch, 'temp-terminated');
  const out = join(scratch, 'terminated.parquet');
  const run = spawnBounded(temp, out);
  await spilling(temp);
  run.child.kill('SIGTERM');
  const { code, signal, stderr } = await run.exit;
  assert.is(signal, 'SIGTERM', `exit ${code}: ${stderr}`);
  assert.equal(readdirSync(temp), [], stderr);
  assert.not.ok(existsSync(out));
});

test("SIGINT mid-spill in a program with its own handler: the program's to decide; the run goes on, exact, and removes its folder", async () => {
  const temp = join(scratch, 'temp-own-handler');
  const out = join(scratch, 'own-handler.parquet');
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('../support/spillUnderOwnHandler.ts', import.meta.url)), hour, out, temp, String(MIN_MEMORY)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk));
  const exit = new Promise<number | null>((resolve) => child.once('exit', resolve));
  await spilling(temp);
  child.kill('SIGINT');
  assert.is(await exit, 0, output);
  assert.equal(output.trim().split('\n'), ['interrupted', 'done']);
  assert.ok((await readFile(out)).equals(await readFile(unboundedOut)), 'the same Parquet bytes');
  assert.equal(readdirSync(temp), []);
});

/** The CLI (from source, through tsx) as a child process: its exit code, stderr and --report. */
async function cliReport(args: string[]): Promise<{ code: number | null; stderr: string; report: RunReport }> {
  const report = join(scratch, 'report.json');
  const { code, stderr } = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', MAIN, ...args, '--report', report, '--quiet', '--limit', '0'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let text = '';
    child.stderr!.on('data', (chunk: Buffer) => (text += chunk));
    child.once('exit', (exitCode) => resolve({ code: exitCode, stderr: text }));
  });
  assert.is(code, 0, stderr);
  return { code, stderr, report: JSON.parse(await readFile(report, 'utf8')) };
}

test('a run that spills stays within its budget plus the fixed part, on data whose unbounded run does not (child processes, their --report)', async () => {
  // The fixed part here: the CLI through tsx (~170 MiB, its compiler included) on the 62-line example. (The
  // report's peak is the child's own, VmHWM: getrusage's would start at this test runner's size at the fork.)
  const fixed = (await cliReport([join(FIXTURES, 'example', 'input'), '--out', join(scratch, 'example.parquet')])).report.memory!.peak;
  const big = join(scratch, 'big-hour');
  execFileSync(process.execPath, ['--import', 'tsx', 'bench/generate.ts', '--events', '1000000', '--hours', '1', '--files', '4', '--seed', '12', '--out', big]);
  const bound = MIN_MEMORY + fixed;
  const unboundedRun = (await cliReport([big, '--out', join(scratch, 'big-unbounded.parquet')])).report.memory!;
  assert.ok(unboundedRun.peak > bound && unboundedRun.spilled === 0, `unbounded: ${(unboundedRun.peak / MiB).toFixed(0)} MiB, past the bound of ${(bound / MiB).toFixed(0)} (so the bound means something)`);
  const boundedRun = (await cliReport([big, '--out', join(scratch, 'big-bounded.parquet'), '--memory', String(MIN_MEMORY), '--temp', join(scratch, 'temp-big')])).report.memory!;
  assert.ok(boundedRun.spilled > 0, 'it spilled');
  assert.ok(boundedRun.peak <= bound, `bounded: ${(boundedRun.peak / MiB).toFixed(0)} MiB, at most ${(bound / MiB).toFixed(0)} (${(MIN_MEMORY / MiB).toFixed(0)} + the fixed ${(fixed / MiB).toFixed(0)})`);
  assert.ok((await readFile(join(scratch, 'big-bounded.parquet'))).equals(await readFile(join(scratch, 'big-unbounded.parquet'))), 'the same Parquet bytes');
  await rm(big, { recursive: true, force: true });
});

test("the report's peak is the run's own process's, not its parent's size at the fork (a runner of 600 MiB starts it)", async () => {
  const ballast = Buffer.alloc(600 * MiB, 1); // this process, resident, when it starts the child
  const { peak } = (await cliReport([join(FIXTURES, 'example', 'input'), '--out', join(scratch, 'ballast.parquet')])).report.memory!;
  assert.ok(ballast[ballast.length - 1] === 1 && peak < 400 * MiB, `peak ${(peak / MiB).toFixed(0)} MiB: the child's own (getrusage would give >= 600)`);
});

test('gzip files are sized as the JSON they hold: a bounded run of the hour gzipped is exact', async () => {
  const gzipped = join(scratch, 'hour-gz');
  for (const folder of readdirSync(hour)) {
    await mkdir(join(gzipped, folder), { recursive: true });
    for (const file of readdirSync(join(hour, folder))) await writeFile(join(gzipped, folder, `${file}.gz`), gzipSync(await readFile(join(hour, folder, file))));
  }
  const temp = join(scratch, 'temp-gz');
  const bounded = await runJob({ root: gzipped, memory: MIN_MEMORY, temp });
  assert.ok(bounded.report.memory!.spilled > 0, 'its listed bytes are an eighth of its JSON: still too much for an in-process run');
  assert.equal(bounded.metrics.objects(), unbounded.metrics.objects());
  assert.equal(readdirSync(temp), []);
});

test("removeAbandoned removes this host's folders of processes that are gone (or of this one, with no run open), never a live one's or another host's", async () => {
  const temp = join(scratch, 'temp-abandoned');
  const host = hostname().replace(/[^A-Za-z0-9.]/g, '_');
  const gone = spawn(process.execPath, ['-e', '0']);
  await new Promise((resolve) => gone.once('exit', resolve));
  const live = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)']);
  try {
    const abandoned = [`consent-metrics-spill-${host}-${gone.pid}-0badc0de`, `consent-metrics-spill-${host}-${process.pid}-00c0ffee`];
    const kept = [`consent-metrics-spill-${host}-${live.pid}-1234abcd`, `consent-metrics-spill-elsewhere-${gone.pid}-0badc0de`, 'consent-metrics-spill-notapid', 'other'];
    for (const name of [...abandoned, ...kept]) await mkdir(join(temp, name, 'ids'), { recursive: true });
    assert.equal(removeAbandoned(temp).sort(), abandoned.map((name) => join(temp, name)).sort());
    assert.equal(readdirSync(temp).sort(), kept.sort());
  } finally {
    live.kill();
  }
});

test.after(() => rm(scratch, { recursive: true, force: true }));
test.run();
