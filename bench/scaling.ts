// Scaling: the same partition size, 10x the partitions (so 10x the events). Time should grow ~10x and
// peak memory only by the dedup set (ids seen), since partitions are processed one at a time.
//   npm run bench:scale -- [--events 200000] [--runs 3]
// With --hour N: one hour of N events instead (63 files of ~307 MB at 50M), read in splits and counted in
// shards; prints the run's wall, CPU and peak RSS; with --duckdb, DuckDB's right after it, and whether the
// outputs are equal (DuckDB's exact plan needs ~21 GB at 50M).
//   npm run bench:scale -- --hour 50000000 [--runs 1] [--duckdb]
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { hourData } from './hourData.ts';
import { measureNode, medians, type Measured } from './measureProcess.ts';

const { values } = parseArgs({ options: { events: { type: 'string', default: '200000' }, runs: { type: 'string', default: '3' }, hour: { type: 'string' }, duckdb: { type: 'boolean', default: false } } });
const small = Number(values.events);
const scratch = mkdtempSync(join(tmpdir(), 'consent-metrics-scale-'));
if (values.hour !== undefined) {
  await oneHour(Number(values.hour));
  process.exit(); // with the exit code oneHour set
}

/** One hour of `events` events, generated once (~800k events a file), run `--runs` times. */
async function oneHour(events: number): Promise<void> {
  const { data, files } = hourData(events);
  const out = join(scratch, 'hour.parquet');
  const duckOut = join(scratch, 'hour-duckdb.parquet');
  console.log('| engine | events | files | wall | CPU | peak RSS |\n|---|---|---|---|---|---|');
  const row = (engine: string, { wall, cpuSeconds, peakRssMiB }: Measured) =>
    console.log(`| ${engine} | ${events.toLocaleString('en')} | ${files} | ${wall.toFixed(1)} s | ${cpuSeconds.toFixed(1)} s | ${peakRssMiB.toFixed(0)} MiB |`);
  for (let run = 0; run < Number(values.runs); run++) {
    row('consent-metrics', await measureNode(['bin/consent-metrics.mjs', data, '--limit', '0', '--out', out]));
    if (values.duckdb) row('DuckDB', await measureNode(['bench/duckdbJob.mjs', data, duckOut, '2']));
  }
  if (values.duckdb && !(await (await import('./compareOutputs.ts')).compareOutputs(out, duckOut))) process.exitCode = 1;
  rmSync(scratch, { recursive: true, force: true });
}
const sets = [
  { events: small, hours: 24 },
  { events: small * 10, hours: 240 },
];

const results = [];
for (const { events, hours } of sets) {
  const data = `bench/data/scale-${events}-${hours}h`;
  if (!existsSync(data)) {
    execFileSync(process.execPath, ['--import', 'tsx', 'bench/generate.ts', '--events', String(events), '--hours', String(hours), '--files', '2', '--seed', '7', '--out', data], { stdio: 'inherit' });
  }
  const runs: Measured[] = [];
  for (let run = 0; run < Number(values.runs); run++) runs.push(await measureNode(['bin/consent-metrics.mjs', data, '--limit', '0', '--out', join(scratch, 'out.parquet')]));
  const { wall, cpuSeconds: cpu, peakRssMiB: rss } = medians(runs);
  results.push({ events, hours, wall, cpu, rss });
}

console.log('| events | hours (partitions) | wall | CPU | peak RSS |\n|---|---|---|---|---|');
for (const r of results) console.log(`| ${r.events.toLocaleString('en')} | ${r.hours} | ${r.wall.toFixed(2)} s | ${r.cpu.toFixed(2)} s | ${r.rss.toFixed(0)} MiB |`);
const [a, b] = results as [typeof results[0], typeof results[0]];
console.log(`\n10x events: wall ${(b.wall / a.wall).toFixed(1)}x, CPU ${(b.cpu / a.cpu).toFixed(1)}x, peak RSS +${(b.rss - a.rss).toFixed(0)} MiB ` +
  `(${((b.rss - a.rss) * 1024 * 1024 / (b.events - a.events)).toFixed(0)} bytes per extra event)`);
rmSync(scratch, { recursive: true, force: true });
