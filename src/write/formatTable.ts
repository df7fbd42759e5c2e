import type { ColumnTable } from 'arquero';
import { Table } from 'apache-arrow';

/**
 * An aligned text table of the first `limit` rows of an Arquero or Arrow table (a header row, numbers
 * right-aligned, nulls as `null`), with a line counting the rows left out. Millions of rows cost no
 * more than `limit`.
 *
 * @example
 * console.log(formatTable(metrics, { limit: 50 }));
 */
export function formatTable(table: ColumnTable | Table, { limit = 50 }: { limit?: number } = {}): string {
  return formatPreview(preview(table, limit));
}

/**
 * {@link formatTable} of rows already taken (`preview`): for a caller that renders them other ways too.
 *
 * @example
 * const shown = preview(metrics, 20); console.log(formatPreview(shown));
 */
export function formatPreview({ names, rows, total }: { names: string[]; rows: unknown[][]; total: number }): string {
  const cells = names.map((name, column) => {
    const values = rows.map((row) => formatCell(row[column]));
    const first = rows[0]?.[column];
    return { name, values, numeric: typeof first === 'number' || typeof first === 'bigint' };
  });
  const widths = cells.map(({ name, values }) => Math.max(name.length, ...values.map((value) => value.length)));
  const pad = (text: string, index: number, right: boolean) => (right ? text.padStart(widths[index]!) : text.padEnd(widths[index]!));
  const lines = [
    cells.map(({ name, numeric }, index) => pad(name, index, numeric)).join('  '),
    widths.map((width) => '-'.repeat(width)).join('  '),
    ...rows.map((_, row) => cells.map(({ values, numeric }, index) => pad(values[row]!, index, numeric)).join('  ').trimEnd()),
  ];
  const hidden = total - rows.length;
  lines.push(hidden > 0 ? `... ${hidden} more row(s), ${total} in all` : `(${total} row(s))`);
  return lines.join('\n');
}

/**
 * The first `limit` rows of a table as arrays of values, with its column names and row count, without
 * materializing the rest.
 *
 * @example
 * const { names, rows, total } = preview(metrics, 5);
 */
export function preview(table: ColumnTable | Table, limit: number): { names: string[]; rows: unknown[][]; total: number } {
  if (table instanceof Table) {
    const names = table.schema.fields.map((field) => field.name);
    const shown = table.slice(0, limit);
    const columns = names.map((name) => [...(shown.getChild(name) ?? [])]);
    return { names, total: table.numRows, rows: Array.from({ length: shown.numRows }, (_, row) => columns.map((column) => column[row])) };
  }
  const names = table.columnNames();
  const shown = table.slice(0, limit).objects() as Record<string, unknown>[];
  return { names, total: table.numRows(), rows: shown.map((row) => names.map((name) => row[name])) };
}

/**
 * A value as a table shows it: `null`, a float to 4 decimals, bytes by their length.
 *
 * @example
 * formatCell(2 / 3); // '0.6667'
 */
export function formatCell(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'number' && !Number.isInteger(value)) return String(Number(value.toFixed(4)));
  if (value instanceof Uint8Array) return `<${value.length} bytes>`;
  return String(value);
}
