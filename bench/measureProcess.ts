// One command run as its own process, start to exit: wall time, and the CPU time and peak RSS the
// process reports at exit (bench/reportUsage.mjs, preloaded). Shared by the benchmarks.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Measured { wall: number; cpuSeconds: number; peakRssMiB: number }

/** How {@link measureNode} starts the process: a command to run it under (`taskset -c 0`). */
export interface MeasureOptions { prefix?: string[] }

const usageFolder = mkdtempSync(join(tmpdir(), 'consent-metrics-usage-'));
let runs = 0;

/** Runs `node --import ./bench/reportUsage.mjs ...args` (under `prefix`); throws with its stderr when it fails. */
export async function measureNode(args: string[], { prefix = [] }: MeasureOptions = {}): Promise<Measured & { stderr: string }> {
  const usageFile = join(usageFolder, `${++runs}.json`);
  const started = performance.now();
  const [program, ...prefixArgs] = [...prefix, process.execPath];
  const child = spawn(program!, [...prefixArgs, '--import', './bench/reportUsage.mjs', ...args], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, BENCH_USAGE_FILE: usageFile, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  });
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  const wall = (performance.now() - started) / 1000;
  if (code !== 0) throw new Error(`node ${args.join(' ')} failed (${code}): ${stderr}`);
  return { wall, ...JSON.parse(readFileSync(usageFile, 'utf8')), stderr };
}

export const median = (numbers: number[]) => [...numbers].sort((a, b) => a - b)[Math.floor(numbers.length / 2)]!;

/** The medians of each measure over runs. */
export const medians = (runs: Measured[]): Measured => ({
  wall: median(runs.map((run) => run.wall)), cpuSeconds: median(runs.map((run) => run.cpuSeconds)), peakRssMiB: median(runs.map((run) => run.peakRssMiB)),
});

/** User and system CPU seconds of process `pid` so far (Linux /proc; 0 elsewhere). */
export function cpuSecondsOf(pid: number): number {
  const stat = `/proc/${pid}/stat`;
  if (!existsSync(stat)) return 0;
  const text = readFileSync(stat, 'utf8');
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (100 a second here)
}
