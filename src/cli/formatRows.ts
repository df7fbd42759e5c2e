import type { ColumnTable } from 'arquero';

/**
 * Every row as CSV: a header line, fields quoted when they hold a comma, quote or newline, nulls as
 * empty fields.
 *
 * @example
 * formatCsv(metrics); // "datehour,domain,...\n2021-01-23-10,www.domain-A.eu,..."
 */
export function formatCsv(table: ColumnTable): string {
  const names = table.columnNames();
  const field = (value: unknown) => {
    if (value === null || value === undefined) return '';
    const text = String(value);
    return /[",\n\r]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
  };
  const columns = names.map((name) => table.array(name) as ArrayLike<unknown>);
  const lines = [names.map(field).join(',')];
  for (let row = 0; row < table.numRows(); row++) lines.push(columns.map((column) => field(column[row])).join(','));
  return lines.join('\n');
}

/** Every row as a JSON array of objects, one row per line. */
export function formatJson(table: ColumnTable): string {
  const rows = (table.objects() as object[]).map((row) => `  ${JSON.stringify(row)}`);
  return rows.length === 0 ? '[]' : `[\n${rows.join(',\n')}\n]`;
}
