import type { ColumnTable } from 'arquero';

/**
 * An aligned text table of the first `limit` rows (numbers right-aligned, nulls as `null`), with a
 * line counting the rows left out.
 *
 * @example
 * console.log(formatTable(metrics, { limit: 50 }));
 */
export function formatTable(table: ColumnTable, { limit = 50 }: { limit?: number } = {}): string {
  const names = table.columnNames();
  const shown = Math.min(limit, table.numRows());
  const cells = names.map((name) => {
    const column = table.column(name)!;
    const values = Array.from({ length: shown }, (_, row) => formatValue(column.at(table.indices()[row]!)));
    return { name, values, numeric: values.length > 0 && typeof column.at(table.indices()[0]!) === 'number' };
  });
  const widths = cells.map(({ name, values }) => Math.max(name.length, ...values.map((value) => value.length)));
  const pad = (text: string, index: number, right: boolean) =>
    right ? text.padStart(widths[index]!) : text.padEnd(widths[index]!);
  const lines = [
    cells.map(({ name, numeric }, index) => pad(name, index, numeric)).join('  '),
    widths.map((width) => '-'.repeat(width)).join('  '),
    ...Array.from({ length: shown }, (_, row) =>
      cells.map(({ values, numeric }, index) => pad(values[row]!, index, numeric)).join('  ').trimEnd(),
    ),
  ];
  const hidden = table.numRows() - shown;
  lines.push(hidden > 0 ? `... ${hidden} more row(s), ${table.numRows()} in all` : `(${table.numRows()} row(s))`);
  return lines.join('\n');
}

function formatValue(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'number' && !Number.isInteger(value)) return String(Number(value.toFixed(4)));
  return String(value);
}
