// Memory-budget benchmark (not a test): each data set run unbounded (the default budget: in-process
// when it fits) and under `--memory`, in pairs one right after the other, then optionally DuckDB
// under the same memory_limit with a temp_directory. Reports wall, CPU, peak RSS, what the run
// spilled and read back (its --report), and checks the bounded output equals the unbounded one byte
// for byte (DuckDB's: the same rows, compareOutputs).
//   npm run bench:memory -- [--data bench/data/events-2000000,bench/data/scale-20000000-240h] [--memory 512MiB] [--runs 1] [--in-tasks] [--duckdb]
// --in-tasks adds, to each pair, the run in tasks under the budget where it would fit in-process (bench/boundedRun.mjs).
// The 50M-event hour: --data hour:50000000 --memory 1GiB (bench:scale --hour's data, generated once).
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { compareOutputs } from './compareOutputs.ts';
import { hourData } from './hourData.ts';
import { measureNode, type Measured } from './measureProcess.ts';
import { parseSize } from '../src/job/memoryBudget.ts';

const { values } = parseArgs({ options: {
  data: { type: 'string', default: 'bench/data/events-2000000,bench/data/scale-20000000-240h' },
  memory: { type: 'string', default: '512MiB' },
  runs: { type: 'string', default: '1' },
  duckdb: { type: 'boolean', default: false },
  'in-tasks': { type: 'boolean', default: false },
} });
const scratch = await mkdtemp(join(tmpdir(), 'consent-metrics-memory-bench-'));
const MiB = 2 ** 20;

/** Our CLI on `data`, with `extra` flags: its measures and its report's memory figures. */
async function ours(data: string, out: string, extra: string[], inTasks?: number): Promise<Measured & { spilled: number; readBack: number }> {
  const report = join(scratch, 'report.json');
  const measured = await measureNode(inTasks === undefined
    ? ['bin/consent-metrics.mjs', data, '--out', out, '--report', report, '--quiet', '--limit', '0', ...extra]
    : ['bench/boundedRun.mjs', data, out, String(inTasks), report]);
  const { memory } = JSON.parse(await readFile(report, 'utf8'));
  return { ...measured, spilled: memory.spilled, readBack: memory.read_back };
}

const row = (data: string, run: string, { wall, cpuSeconds, peakRssMiB }: Measured, rest: string) =>
  console.log(`| ${data} | ${run} | ${wall.toFixed(2)} s | ${cpuSeconds.toFixed(2)} s | ${peakRssMiB.toFixed(0)} MiB | ${rest} |`);

try {
  console.log(`Budget: --memory ${values.memory}; ${values.runs} pair(s) a data set, unbounded then bounded.\n`);
  console.log('| data | run | wall | CPU | peak RSS | spilled, read back; output |\n|---|---|---|---|---|---|');
  for (const given of values.data!.split(',')) {
    const data = given.startsWith('hour:') ? hourData(Number(given.slice(5))).data : given;
    const name = data.split('/').at(-1)!;
    for (let pair = 0; pair < Number(values.runs); pair++) {
      const unboundedOut = join(scratch, 'unbounded.parquet');
      const boundedOut = join(scratch, 'bounded.parquet');
      const unbounded = await ours(data, unboundedOut, []);
      row(name, 'unbounded', unbounded, `${(unbounded.spilled / MiB).toFixed(0)} MiB spilled`);
      const bounded = await ours(data, boundedOut, ['--memory', values.memory!]);
      const same = (await readFile(boundedOut)).equals(await readFile(unboundedOut));
      row(name, `--memory ${values.memory}`, bounded,
        `${(bounded.spilled / MiB).toFixed(0)} MiB spilled, ${(bounded.readBack / MiB).toFixed(0)} MiB read back; ${same ? 'output identical' : 'OUTPUT DIFFERS'}; wall ${(bounded.wall / unbounded.wall).toFixed(2)}x`);
      if (bounded.spilled === 0 && values['in-tasks']) {
        const inTasks = await ours(data, boundedOut, [], parseSize(values.memory!, '--memory'));
        const equal = (await readFile(boundedOut)).equals(await readFile(unboundedOut));
        row(name, `in tasks, ${values.memory}`, inTasks, `${(inTasks.spilled / MiB).toFixed(0)} MiB spilled; ${equal ? 'output identical' : 'OUTPUT DIFFERS'}; wall ${(inTasks.wall / unbounded.wall).toFixed(2)}x`);
      }
    }
    if (values.duckdb) {
      const duckOut = join(scratch, 'duckdb.parquet');
      const temp = await mkdtemp(join(scratch, 'duckdb-temp-'));
      const limit = values.memory!.replace(/i?B$/i, 'iB');
      try {
        row(name, `DuckDB, memory_limit ${limit}`, await measureNode(['bench/duckdbJob.mjs', data, duckOut, '2', limit, temp]), await compareOutputs(duckOut, join(scratch, 'unbounded.parquet')) ? 'rows equal' : 'ROWS DIFFER');
      } catch (error) {
        console.log(`| ${name} | DuckDB, memory_limit ${limit} | failed: ${(error as Error).message.split('\n').find((line) => /Error/.test(line))?.slice(0, 160) ?? 'see stderr'} | | | |`);
      }
    }
  }
} finally {
  await rm(scratch, { recursive: true, force: true });
}
