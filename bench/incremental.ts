// The cost of an hourly incremental run: adding the 24th hour to a state of the first 23, against a
// stateless run of that hour alone, a stateless run of all 24 hours, and DuckDB over all 24 (what a
// user needing an exact result would run instead). Each engine is its own process; runs are paired.
//   npm run bench:incremental -- [--events 2000000] [--runs 5]
// Checks the incremental output equals the stateless 24-hour output byte for byte, and prints the
// state's size beside the raw input's.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { measureNode, median, medians, type Measured } from './measureProcess.ts';

const { values } = parseArgs({ options: { events: { type: 'string', default: '2000000' }, runs: { type: 'string', default: '5' } } });
const data = `bench/data/events-${values.events}`;
if (!existsSync(data)) {
  execFileSync(process.execPath, ['--import', 'tsx', 'bench/generate.ts', '--events', values.events!, '--hours', '24', '--files', '2', '--seed', '1', '--out', data], { stdio: 'inherit' });
}
const scratch = await mkdtemp(join(tmpdir(), 'consent-metrics-incremental-'));
const hours = readdirSync(data).filter((name) => name.startsWith('datehour=')).sort().map((name) => name.slice('datehour='.length));
const last = hours.at(-1)!;
const cli = ['bin/consent-metrics.mjs', data, '--limit', '0', '--quiet'];

/** Bytes of every file under `folder`. */
const sizeOf = (folder: string): number =>
  readdirSync(folder, { recursive: true, encoding: 'utf8' }).reduce((sum, name) => sum + (statSync(join(folder, name)).isFile() ? statSync(join(folder, name)).size : 0), 0);

// The state of the first 23 hours and their output folder, made once; each measured run adds the last
// hour to fresh copies of both, in the same places (the state remembers where it wrote).
const [base, baseOutput] = [join(scratch, 'state-23'), join(scratch, 'output-23')];
const [state, output] = [join(scratch, 'state'), join(scratch, 'output')];
console.error(`making the state of ${hours.length - 1} hours...`);
const made = await measureNode([...cli, '--state', state, '--to', hours.at(-2)!, '--out', `${output}/`]);
console.error(`  ${made.wall.toFixed(2)} s`);
cpSync(state, base, { recursive: true });
cpSync(output, baseOutput, { recursive: true });

const runs: Record<string, Measured[]> = { incremental: [], 'stateless, that hour': [], 'stateless, 24 hours': [], 'DuckDB, 24 hours': [] };
for (let run = 0; run < Number(values.runs); run++) {
  for (const [from, to] of [[base, state], [baseOutput, output]]) {
    rmSync(to!, { recursive: true, force: true });
    cpSync(from!, to!, { recursive: true });
  }
  runs.incremental!.push(await measureNode([...cli, '--state', state, '--partitions', last, '--out', `${output}/`]));
  runs['stateless, that hour']!.push(await measureNode([...cli, '--partitions', last, '--out', join(scratch, 'hour') + '/']));
  runs['stateless, 24 hours']!.push(await measureNode([...cli, '--out', join(scratch, 'all') + '/']));
  runs['DuckDB, 24 hours']!.push(await measureNode(['bench/duckdbJob.mjs', data, join(scratch, 'duckdb.parquet'), '2']));
  console.error(`run ${run + 1}: ${Object.entries(runs).map(([name, list]) => `${name} ${list.at(-1)!.wall.toFixed(2)} s`).join(', ')}`);
}

const summary = Object.fromEntries(Object.entries(runs).map(([name, list]) => [name, medians(list)]));
console.log(`\n${data}: adding ${last} to a state of ${hours.length - 1} hours; ${values.runs} paired runs, medians\n`);
console.log('| run | wall | CPU | peak RSS |\n|---|---|---|---|');
for (const [name, row] of Object.entries(summary)) console.log(`| ${name} | ${row.wall.toFixed(2)} s | ${row.cpuSeconds.toFixed(2)} s | ${row.peakRssMiB.toFixed(0)} MiB |`);
// Each ratio two ways: of the medians, and the median of the pairs' own ratios (each pair ran back to
// back, so the machine's drift over the bench cancels out within it).
console.log('');
const incremental = summary.incremental!;
const pairedRatio = (other: string) => median(runs.incremental!.map((run, index) => run.wall / runs[other]![index]!.wall));
for (const [label, other] of [['stateless run of that hour', 'stateless, that hour'], ['stateless run of 24 hours', 'stateless, 24 hours'], ['DuckDB over 24 hours', 'DuckDB, 24 hours']] as const) {
  console.log(`incremental / ${label}: ${(incremental.wall / summary[other]!.wall).toFixed(2)}x wall (median of the pairs' ratios: ${pairedRatio(other).toFixed(2)}x)`);
}
const files = (folder: string) => readdirSync(folder).sort().map((name) => readFileSync(join(folder, name, 'part-0.parquet')));
const [ours, theirs] = [files(output), files(join(scratch, 'all'))];
const same = ours.length === theirs.length && ours.every((bytes, index) => bytes.equals(theirs[index]!));
console.log(same ? `incremental output equals the stateless 24-hour output, byte for byte (${ours.length} files)` : 'OUTPUTS DIFFER');
const [stateBytes, rawBytes] = [sizeOf(state), sizeOf(data)];
console.log(`state: ${(stateBytes / 2 ** 20).toFixed(1)} MiB for ${(rawBytes / 2 ** 20).toFixed(1)} MiB of raw input (${((100 * stateBytes) / rawBytes).toFixed(1)}%)`);
if (!same) process.exitCode = 1;
rmSync(scratch, { recursive: true, force: true });
