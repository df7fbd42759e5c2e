// Whether two metrics Parquet files hold the same rows, read back with DuckDB: keys compared as text,
// counts exactly, the average to 1e-9. Shared by the benchmarks that compare engines.
import { DuckDBInstance } from '@duckdb/node-api';

/** Prints `outputs equal: N rows` or `OUTPUTS DIFFER (...)`; returns whether they are equal. */
export async function compareOutputs(first: string, second: string): Promise<boolean> {
  const db = await (await DuckDBInstance.create(':memory:')).connect();
  const read = async (file: string) => (await db.runAndReadAll(
    `SELECT * FROM read_parquet('${file}') ORDER BY datehour, domain NULLS FIRST, country NULLS FIRST`)).getRows();
  const [a, b] = [await read(first), await read(second)];
  const same = a.length === b.length && a.every((row, i) => row.every((value, j) =>
    typeof value === 'number' ? Math.abs(value - (b[i]![j] as number)) < 1e-9 : String(value) === String(b[i]![j])));
  console.log(same ? `outputs equal: ${a.length} rows` : `OUTPUTS DIFFER (${a.length} vs ${b.length} rows)`);
  return same;
}
