// The analyst views beside the plain run, and beside DuckDB's SQL for each (bench/duckdbAnalysis.mjs):
//   npm run bench -- --analysis [--events 2000000] [--runs 3] [--threads 2]
// Each view runs as its own process, start to exit, paired with DuckDB's (they alternate, so a noisy
// moment hits both). Prints wall, CPU and peak RSS medians, each view's wall over the plain run's, and
// checks each pair of outputs holds the same rows (DuckDB reads both; events: the same ids and lists).
import { DuckDBInstance } from '@duckdb/node-api';
import { join } from 'node:path';
import { measureNode, medians, type Measured } from './measureProcess.ts';

const VIEWS = {
  plain: { ours: (data: string, out: string) => [data, '--out', out], duckdb: ['bench/duckdbJob.mjs'] },
  'by-purpose': { ours: (data: string, out: string) => [data, '--by', 'purpose', '--out', out], duckdb: ['bench/duckdbAnalysis.mjs', 'by-purpose'] },
  'grain-day': { ours: (data: string, out: string) => [data, '--grain', 'day', '--out', out], duckdb: ['bench/duckdbAnalysis.mjs', 'grain-day'] },
  'events --out DIR/': { ours: (data: string, out: string) => ['events', data, '--out', `${out}.d/`], duckdb: ['bench/duckdbAnalysis.mjs', 'events'] },
  'events --out FILE': { ours: (data: string, out: string) => ['events', data, '--out', out], duckdb: ['bench/duckdbAnalysis.mjs', 'events'] },
} as const;
type View = keyof typeof VIEWS;

/** Runs every view `runs` times, paired with DuckDB's, on `data`; prints the table and checks the outputs. */
export async function compareAnalysis(data: string, scratch: string, runs: number, threads: string): Promise<boolean> {
  const results = new Map<string, Measured[]>();
  for (let run = 0; run < runs; run++) {
    for (const [view, { ours, duckdb }] of Object.entries(VIEWS)) {
      const out = join(scratch, `${view.replace(/\W+/g, '-')}`);
      const engines = [
        ['consent-metrics', ['bin/consent-metrics.mjs', ...ours(data, `${out}.ours.parquet`), '--quiet', '--limit', '0']],
        ['duckdb', [...duckdb, data, `${out}.duckdb.parquet`, threads]],
      ] as const;
      for (const [engine, argv] of engines) {
        const measured = await measureNode([...argv]);
        const key = `${view}|${engine}`;
        results.set(key, [...(results.get(key) ?? []), measured]);
        console.error(`run ${run + 1} ${view} ${engine}: ${measured.wall.toFixed(2)} s, ${measured.cpuSeconds.toFixed(2)} s CPU, ${measured.peakRssMiB.toFixed(0)} MiB`);
      }
    }
  }
  const plain = medians(results.get('plain|consent-metrics')!);
  console.log(`\n${data}, ${runs} paired runs, medians (DuckDB threads: ${threads})\n`);
  console.log('| view | consent-metrics wall | CPU | peak RSS | / plain run (wall) | DuckDB wall | CPU | peak RSS | / DuckDB (wall) |\n|---|---|---|---|---|---|---|---|---|');
  for (const view of Object.keys(VIEWS) as View[]) {
    const ours = medians(results.get(`${view}|consent-metrics`)!);
    const duck = medians(results.get(`${view}|duckdb`)!);
    console.log(`| ${view} | ${ours.wall.toFixed(2)} s | ${ours.cpuSeconds.toFixed(2)} s | ${ours.peakRssMiB.toFixed(0)} MiB | ${(ours.wall / plain.wall).toFixed(2)}x | ` +
      `${duck.wall.toFixed(2)} s | ${duck.cpuSeconds.toFixed(2)} s | ${duck.peakRssMiB.toFixed(0)} MiB | ${(ours.wall / duck.wall).toFixed(2)}x |`);
  }
  let same = true;
  const db = await (await DuckDBInstance.create(':memory:')).connect();
  for (const view of Object.keys(VIEWS)) {
    const out = join(scratch, `${view.replace(/\W+/g, '-')}`);
    const oursPath = view.includes('DIR/') ? `${out}.ours.parquet.d/*/part-0.parquet` : `${out}.ours.parquet`;
    // The same rows both ways; events compared on what DuckDB's SQL makes alike (ids, keys, type, consent, lists).
    const columns = view.startsWith('events') ? 'id, datehour, domain, type, user_id, country, consent, purposes_enabled, purposes_disabled, vendors_enabled, vendors_disabled' : '*';
    const read = (path: string) => `(SELECT ${columns} FROM read_parquet('${path}', hive_partitioning = false))`;
    const differing = await db.runAndReadAll(`SELECT (SELECT count(*) FROM (${read(oursPath)} EXCEPT ALL ${read(`${out}.duckdb.parquet`)})) + (SELECT count(*) FROM (${read(`${out}.duckdb.parquet`)} EXCEPT ALL ${read(oursPath)}))`);
    const rows = await db.runAndReadAll(`SELECT count(*) FROM ${read(oursPath)}`);
    const [[differ]] = differing.getRows() as [[bigint]];
    console.log(`${view}: ${differ === 0n ? 'outputs equal' : `OUTPUTS DIFFER in ${differ} rows`}: ${rows.getRows()[0]![0]} rows`);
    same &&= differ === 0n;
  }
  db.closeSync();
  return same;
}
