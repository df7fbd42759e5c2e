// Run by `npm test` through Deno: the library, imported by its package name (deno.json maps it to
// src/index.ts in a checkout), runs unchanged in Deno 2 and gives the example's result.
import { runJob, METRIC_COLUMNS } from 'consent-metrics';

const root = new URL('../../fixtures/example/input', import.meta.url).pathname;
const expected = JSON.parse(await Deno.readTextFile(new URL('../../fixtures/example/expected.json', import.meta.url)));

Deno.test('the job on the example fixtures, in Deno', async () => {
  const { metrics, report } = await runJob({ root });
  const rows = metrics.objects().map((row) => METRIC_COLUMNS.map((name) => (row as Record<string, unknown>)[name]));
  if (rows.length !== expected.rows.length) throw new Error(`${rows.length} rows, expected ${expected.rows.length}`);
  rows.forEach((row: unknown[], i: number) => {
    row.forEach((value, j) => {
      const want = expected.rows[i][j];
      const same = typeof value === 'number' ? Math.abs(value - want) < 1e-12 : value === want;
      if (!same) throw new Error(`row ${i} column ${METRIC_COLUMNS[j]}: ${value}, expected ${want}`);
    });
  });
  if (report.lines !== 62 || report.duplicates !== 5) throw new Error(`report: ${JSON.stringify(report)}`);
});

Deno.test('the job writes Parquet in Deno that reads back as the example result', async () => {
  const out = await Deno.makeTempDir();
  try {
    await runJob({ root, out: `${out}/metrics.parquet` });
    const { readParquet } = await import('parquet-wasm');
    const { tableFromIPC } = await import('apache-arrow');
    const table = tableFromIPC(readParquet(await Deno.readFile(`${out}/metrics.parquet`)).intoIPCStream());
    if (table.numRows !== expected.rows.length) throw new Error(`${table.numRows} rows written, expected ${expected.rows.length}`);
    const pageviews = table.getChild('pageviews')!.toArray() as BigInt64Array;
    expected.rows.forEach((row: unknown[], i: number) => {
      if (Number(pageviews[i]) !== row[3]) throw new Error(`row ${i} pageviews: ${pageviews[i]}, expected ${row[3]}`);
      if (table.getChild('domain')!.get(i) !== row[1]) throw new Error(`row ${i} domain: ${table.getChild('domain')!.get(i)}, expected ${row[1]}`);
    });
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});
