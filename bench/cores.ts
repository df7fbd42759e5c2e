// Cores: the run and DuckDB pinned to 1 core and to 2 (taskset), paired runs on the 2M-event data: the
// speedup of each from 1 to 2 cores, and the main thread's share of the run's CPU (from --profile).
//   npm run bench:cores -- [--events 2000000] [--runs 3]
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { measureNode, median } from './measureProcess.ts';

const { values } = parseArgs({ options: { events: { type: 'string', default: '2000000' }, runs: { type: 'string', default: '3' } } });
const data = `bench/data/events-${values.events}`;
if (!existsSync(data)) execFileSync(process.execPath, ['--import', 'tsx', 'bench/generate.ts', '--events', values.events!, '--hours', '24', '--files', '2', '--seed', '1', '--out', data], { stdio: 'inherit' });
const scratch = await mkdtemp(join(tmpdir(), 'consent-metrics-cores-'));
const coreSets = [1, 2].filter((cores) => cores <= availableParallelism());

interface Row { wall: number[]; cpu: number[]; mainShare: number[] }
const rows = new Map<string, Row>();
const row = (key: string) => rows.get(key) ?? rows.set(key, { wall: [], cpu: [], mainShare: [] }).get(key)!;
for (let run = 0; run < Number(values.runs); run++) {
  for (const cores of coreSets) {
    const prefix = ['taskset', '-c', cores === 1 ? '0' : `0-${cores - 1}`];
    const ours = await measureNode(['bin/consent-metrics.mjs', data, '--out', join(scratch, 'ours.parquet'), '--limit', '0', '--profile'], { prefix });
    const busy = /main thread busy ([\d.]+) s/.exec(ours.stderr);
    const duck = await measureNode(['bench/duckdbJob.mjs', data, join(scratch, 'duckdb.parquet'), String(cores)], { prefix });
    for (const [engine, measured] of [['consent-metrics', ours], ['duckdb', duck]] as const) {
      const r = row(`${engine} ${cores}`);
      r.wall.push(measured.wall);
      r.cpu.push(measured.cpuSeconds);
      if (engine === 'consent-metrics' && busy) r.mainShare.push(Number(busy[1]) / measured.cpuSeconds);
    }
    console.error(`run ${run + 1}, ${cores} core(s): consent-metrics ${ours.wall.toFixed(2)} s (main thread ${busy?.[1] ?? '?'} s), DuckDB ${duck.wall.toFixed(2)} s`);
  }
}

console.log(`\n${data}, ${values.runs} paired runs, medians\n`);
console.log('| engine | cores | wall | CPU | main thread, share of CPU |\n|---|---|---|---|---|');
for (const [key, r] of rows) {
  const [engine, cores] = key.split(' ');
  const share = r.mainShare.length > 0 ? `${(100 * median(r.mainShare)).toFixed(1)}%` : '';
  console.log(`| ${engine} | ${cores} | ${median(r.wall).toFixed(2)} s | ${median(r.cpu).toFixed(2)} s | ${share} |`);
}
for (const engine of ['consent-metrics', 'duckdb']) {
  const one = rows.get(`${engine} 1`);
  const two = rows.get(`${engine} 2`);
  if (one && two) console.log(`${engine}: 1 -> 2 cores, ${(median(one.wall) / median(two.wall)).toFixed(2)}x faster`);
}
await rm(scratch, { recursive: true, force: true });
