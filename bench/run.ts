// Side-by-side benchmark: our CLI and DuckDB on the same data, each as its own process, start to exit,
// on compact JSON and on JSON spaced as Python's json.dumps writes it (generated when missing).
//   npm run bench -- [--events 2000000] [--runs 5] [--threads 2] [--spacing compact,python] [--only duckdb]
//   npm run bench -- --s3 [--events 2000000] [--runs 5]: the same data local and through s3rver (bench/s3.ts)
//   npm run bench -- --analysis [--events 2000000] [--runs 3]: the analyst views beside the plain run and DuckDB (bench/analysis.ts)
// Runs are paired (the engines alternate), so a noisy moment hits both. Prints wall, CPU and peak RSS
// (medians) for both, the ratios, and checks the outputs are equal.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { compareOutputs } from './compareOutputs.ts';
import { measureNode, medians, type Measured } from './measureProcess.ts';

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '2000000' },
    runs: { type: 'string', default: '5' },
    threads: { type: 'string', default: '2' },
    spacing: { type: 'string', default: 'compact,python' },
    only: { type: 'string' },
    s3: { type: 'boolean', default: false },
    analysis: { type: 'boolean', default: false },
  },
});
const scratch = await mkdtemp(join(tmpdir(), 'consent-metrics-bench-'));
if (values.s3) {
  const data = `bench/data/events-${values.events}`;
  if (!existsSync(data)) execFileSync(process.execPath, ['--import', 'tsx', 'bench/generate.ts', '--events', values.events!, '--hours', '24', '--files', '2', '--seed', '1', '--out', data], { stdio: 'inherit' });
  await (await import('./s3.ts')).compareS3(data, join(scratch, 's3.parquet'), Number(values.runs));
  await rm(scratch, { recursive: true, force: true });
  process.exit();
}
if (values.analysis) {
  const data = `bench/data/events-${values.events}`;
  if (!existsSync(data)) execFileSync(process.execPath, ['--import', 'tsx', 'bench/generate.ts', '--events', values.events!, '--hours', '24', '--files', '2', '--seed', '1', '--out', data], { stdio: 'inherit' });
  const same = await (await import('./analysis.ts')).compareAnalysis(data, scratch, Number(values.runs), values.threads!);
  await rm(scratch, { recursive: true, force: true });
  process.exit(same ? 0 : 1);
}
const engines = {
  'consent-metrics': (data: string, out: string) => ['bin/consent-metrics.mjs', data, '--out', out, '--limit', '0'],
  duckdb: (data: string, out: string) => ['bench/duckdbJob.mjs', data, out, values.threads!],
};
type Engine = keyof typeof engines;
const selected = (values.only ? values.only.split(',') : Object.keys(engines)) as Engine[];

type Run = Measured;
const runOnce = (engine: Engine, data: string, out: string): Promise<Run> => measureNode(engines[engine](data, out));

for (const spacing of values.spacing!.split(',')) {
  const data = `bench/data/events-${values.events}${spacing === 'python' ? '-spaced' : ''}`;
  if (!existsSync(data)) {
    execFileSync(process.execPath, ['--import', 'tsx', 'bench/generate.ts', '--events', values.events!, '--hours', '24', '--files', '2',
      '--seed', '1', '--spacing', spacing, '--out', data], { stdio: 'inherit' });
  }
  const results = new Map<Engine, Run[]>(selected.map((engine) => [engine, []]));
  for (let run = 0; run < Number(values.runs); run++) {
    for (const engine of selected) {
      const result = await runOnce(engine, data, join(scratch, `${engine}.parquet`));
      results.get(engine)!.push(result);
      console.error(`${spacing} run ${run + 1} ${engine}: ${result.wall.toFixed(2)} s, ${result.cpuSeconds.toFixed(2)} s CPU, ${result.peakRssMiB.toFixed(0)} MiB`);
    }
  }

  console.log(`\n${data} (${spacing} JSON), ${values.runs} paired runs, medians (DuckDB threads: ${values.threads})\n`);
  console.log('| engine | wall | CPU | peak RSS |\n|---|---|---|---|');
  const summary = new Map<Engine, Run>();
  for (const [engine, runs] of results) {
    const row = medians(runs);
    summary.set(engine, row);
    console.log(`| ${engine} | ${row.wall.toFixed(2)} s | ${row.cpuSeconds.toFixed(2)} s | ${row.peakRssMiB.toFixed(0)} MiB |`);
  }
  const ours = summary.get('consent-metrics');
  const duck = summary.get('duckdb');
  if (ours && duck) {
    console.log(`\nconsent-metrics / DuckDB: wall ${(ours.wall / duck.wall).toFixed(2)}x, CPU ${(ours.cpuSeconds / duck.cpuSeconds).toFixed(2)}x, ` +
      `peak RSS ${(ours.peakRssMiB / duck.peakRssMiB).toFixed(2)}x`);
    if (!(await compareOutputs(join(scratch, 'consent-metrics.parquet'), join(scratch, 'duckdb.parquet')))) process.exitCode = 1;
  }
}
await rm(scratch, { recursive: true, force: true });
