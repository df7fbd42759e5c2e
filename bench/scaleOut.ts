// Scale-out benchmark (not a test): the same data in-process and through 1, 2 and 4 worker processes
// on one Redis, as the data grows 10x. Reports the run's wall time, the CPU time of every process
// together, the peak RSS of each (the coordinator, then the workers), and the most files the work
// location held (polled every 20 ms), and checks every output equals the in-process one. Under each
// queued run: its tasks by kind as `--profile` gives them, and what Redis took (CPU, peak memory).
//   npm run bench:scale-out -- [--sizes 2000000:24,20000000:240] [--workers 1,2,4] [--work-in DIR]   (20M events: 6.6 GB, generated once)
// A size `hour:N` is one hour of N events (bench:scale --hour's data: 63 files at 50M, read in splits).
// --work-in: the folder the queued runs' work location goes in (default: the OS's temporary folder;
// /dev/shm keeps it in memory, as an in-process run keeps its intermediate data).
// Needs redis-server on the PATH (Debian's package; .ci/run installs it).
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { startRedis } from '../test/support/startRedis.ts';
import { cpuSecondsOf } from './measureProcess.ts';
import { hourData } from './hourData.ts';

const { values } = parseArgs({ options: {
  sizes: { type: 'string', default: '2000000:24,20000000:240' }, workers: { type: 'string', default: '1,2,4' }, 'work-in': { type: 'string', default: tmpdir() },
} });
const scratch = await mkdtemp(join(tmpdir(), 'consent-metrics-scale-out-'));
const workFolder = await mkdtemp(join(values['work-in']!, 'consent-metrics-scale-out-work-'));
const env = { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' };
let usageFiles = 0;
/** Every process started, killed at the end whatever happened: a failed run must not leave workers behind. */
const processes: ChildProcess[] = [];

/** A process of the compiled CLI with its CPU and peak RSS recorded at exit. */
function cli(args: string[]): { child: ChildProcess; usage: () => Promise<{ peakRssMiB: number; cpuSeconds: number; stderr: string }> } {
  const usageFile = join(scratch, `usage-${usageFiles++}.json`);
  const child = spawn(process.execPath, ['--import', './bench/reportUsage.mjs', 'bin/consent-metrics.mjs', ...args], {
    stdio: ['ignore', 'ignore', 'pipe'], env: { ...env, BENCH_USAGE_FILE: usageFile },
  });
  processes.push(child);
  let stderr = '';
  child.stderr!.on('data', (chunk) => (stderr += chunk));
  const exited = new Promise<void>((resolve, reject) => child.once('exit', (code, signal) =>
    code === 0 ? resolve() : reject(new Error(`consent-metrics ${args.join(' ')} ended with ${code ?? signal}: ${stderr}`))));
  return { child, usage: async () => (await exited, { ...JSON.parse(await readFile(usageFile, 'utf8')), stderr }) };
}

const redis = await startRedis();
const redisClient = new Redis(redis.url);
/** Redis's memory in use now, in MiB. */
const redisMiB = async () => Number(/used_memory:(\d+)/.exec(await redisClient.info('memory'))![1]) / 2 ** 20;
try {
  console.log(`Queued runs' work location: in ${values['work-in']}\n`);
  console.log('| events | hours | run | wall | CPU, all processes (coordinator; workers) | peak RSS: coordinator; workers | work files at peak |\n|---|---|---|---|---|---|---|');
  for (const size of values.sizes!.split(',')) {
    // `hour:N`: one hour of N events (bench:scale --hour's data), read in splits by every run.
    const [events, hours] = size.startsWith('hour:') ? [size.slice(5), '1'] : size.split(':');
    const data = size.startsWith('hour:') ? hourData(Number(events)).data : `bench/data/scale-out-${events}-${hours}`;
    if (!existsSync(data)) {
      execFileSync(process.execPath, ['--import', 'tsx', 'bench/generate.ts', '--events', events!, '--hours', hours!, '--files', '2', '--seed', '3', '--out', data], { stdio: 'inherit' });
    }
    const expected = join(scratch, 'in-process.parquet');
    let started = performance.now();
    const local = await cli([data, '--out', expected, '--quiet', '--limit', '0']).usage();
    console.log(`| ${events} | ${hours} | in-process | ${((performance.now() - started) / 1000).toFixed(1)} s | ${local.cpuSeconds.toFixed(1)} s | ${local.peakRssMiB.toFixed(0)} MiB | - |`);

    for (const count of values.workers!.split(',').map(Number)) {
      const workers = Array.from({ length: count }, () => cli(['worker', '--queue', redis.url]));
      const out = join(scratch, `queued-${count}.parquet`);
      const work = join(workFolder, 'work');
      let peakFiles = 0;
      const redisBefore = { cpu: cpuSecondsOf(redis.pid), mib: await redisMiB() };
      let redisPeak = redisBefore.mib;
      const poll = setInterval(() => {
        try {
          const files = existsSync(work) ? readdirSync(work, { recursive: true, withFileTypes: true }).filter((entry) => entry.isFile()).length : 0;
          peakFiles = Math.max(peakFiles, files);
        } catch {
          // a folder removed while listed (the run empties its work location at the end)
        }
        redisMiB().then((mib) => (redisPeak = Math.max(redisPeak, mib)), () => {});
      }, 20);
      started = performance.now();
      const coordinator = await cli([data, '--out', out, '--quiet', '--limit', '0', '--profile', '--queue', redis.url, '--work', work]).usage().finally(() => clearInterval(poll));
      const wall = (performance.now() - started) / 1000;
      for (const { child } of workers) child.kill('SIGTERM');
      const usages = [coordinator, ...(await Promise.all(workers.map((worker) => worker.usage())))];
      const cpu = usages.reduce((sum, usage) => sum + usage.cpuSeconds, 0);
      const peaks = usages.map((usage) => usage.peakRssMiB.toFixed(0));
      const cpus = usages.map((usage) => usage.cpuSeconds.toFixed(1));
      const same = (await readFile(out)).equals(await readFile(expected));
      console.log(`| ${events} | ${hours} | ${count} worker(s) | ${wall.toFixed(1)} s | ${cpu.toFixed(1)} s (${cpus[0]}; ${cpus.slice(1).join(', ')}) | ${peaks[0]} MiB; ${peaks.slice(1).join(', ')} MiB | ${peakFiles} |${same ? '' : ' OUTPUT DIFFERS'}`);
      if (!same) process.exitCode = 1;
      const tasks = coordinator.stderr.slice(coordinator.stderr.indexOf('tasks, on the workers:')).trimEnd();
      console.log(`\n    ${tasks.split('\n').join('\n    ')}\n    redis-server: ${(cpuSecondsOf(redis.pid) - redisBefore.cpu).toFixed(2)} s CPU, ${(redisPeak - redisBefore.mib).toFixed(1)} MiB at most above its ${redisBefore.mib.toFixed(1)} MiB before the run\n`);
    }
  }
} finally {
  for (const child of processes) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  redisClient.disconnect();
  await redis.stop();
  await rm(scratch, { recursive: true, force: true });
  await rm(workFolder, { recursive: true, force: true });
}
