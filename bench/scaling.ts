// Scaling: the same partition size, 10x the partitions (so 10x the events). Time should grow ~10x and
// peak memory only by the dedup set (ids seen), since partitions are processed one at a time.
//   npm run bench:scale -- [--events 200000] [--runs 3]
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { measureNode, medians, type Measured } from './measureProcess.ts';

const { values } = parseArgs({ options: { events: { type: 'string', default: '200000' }, runs: { type: 'string', default: '3' } } });
const small = Number(values.events);
const scratch = mkdtempSync(join(tmpdir(), 'consent-metrics-scale-'));
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
