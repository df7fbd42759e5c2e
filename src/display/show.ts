import type { ColumnTable } from 'arquero';
import { Table } from 'apache-arrow';

/**
 * What Jupyter kernels (Deno's among them) call to render a value: MIME type -> content.
 *
 * @example
 * const value = { [JUPYTER_DISPLAY]: () => ({ 'text/plain': 'hello' }) }; // a cell showing it prints hello
 */
export const JUPYTER_DISPLAY = Symbol.for('Jupyter.display');

/**
 * A value that renders itself in a notebook.
 *
 * @example
 * const shown: Displayable = show(metrics);
 * shown[JUPYTER_DISPLAY]()['text/html'];
 */
export interface Displayable {
  /** The value's renderings, by MIME type (`text/html`, `text/plain`, ...). */
  [JUPYTER_DISPLAY](): Record<string, unknown>;
}

/**
 * How many rows `show` renders, and its caption.
 *
 * @example
 * show(metrics, { limit: 5, title: 'First hours' });
 */
export interface ShowOptions {
  /** Rows shown; the rest are counted, never rendered. Default: 20. */
  limit?: number;
  /** A caption above the table. Default: none. */
  title?: string;
}

/**
 * A table (Arquero or Apache Arrow) as a notebook display: an HTML table of the first `limit` rows
 * with the row and column counts, and the same as plain text for terminals. Millions of rows cost
 * no more than `limit`.
 *
 * @example
 * show(result.metrics, { limit: 10 }); // the last expression of a cell renders as a table
 */
export function show(table: ColumnTable | Table, { limit = 20, title }: ShowOptions = {}): Displayable {
  const { names, rows, total } = preview(table, limit);
  const counts = `${total.toLocaleString('en')} row${total === 1 ? '' : 's'} × ${names.length} columns` +
    (total > rows.length ? `, first ${rows.length} shown` : '');
  return {
    [JUPYTER_DISPLAY]: () => ({
      'text/html': htmlTable(names, rows, counts, title),
      'text/plain': [title, counts, ...rows.slice(0, 10).map((row) => row.map(formatCell).join('\t'))].filter(Boolean).join('\n'),
    }),
  };
}

/** The first rows of a table as arrays of values, without materializing the rest. */
function preview(table: ColumnTable | Table, limit: number) {
  if (table instanceof Table) {
    const names = table.schema.fields.map((field) => field.name);
    const shown = table.slice(0, limit);
    const columns = names.map((name) => [...(shown.getChild(name) ?? [])]);
    return { names, total: table.numRows, rows: Array.from({ length: shown.numRows }, (_, row) => columns.map((column) => column[row])) };
  }
  const names = table.columnNames();
  const shown = (table as ColumnTable).slice(0, limit).objects() as Record<string, unknown>[];
  return { names, total: table.numRows(), rows: shown.map((row) => names.map((name) => row[name])) };
}

function htmlTable(names: string[], rows: unknown[][], counts: string, title?: string): string {
  const head = names.map((name) => `<th>${escapeHtml(name)}</th>`).join('');
  const body = rows
    .map((row) => `<tr>${row.map((value) => `<td${typeof value === 'number' || typeof value === 'bigint' ? ' style="text-align:right"' : ''}>${escapeHtml(formatCell(value))}</td>`).join('')}</tr>`)
    .join('\n');
  return [
    title ? `<p><b>${escapeHtml(title)}</b></p>` : '',
    `<table><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table>`,
    `<p style="color:gray">${escapeHtml(counts)}</p>`,
  ].join('\n');
}

function formatCell(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'number' && !Number.isInteger(value)) return String(Number(value.toFixed(4)));
  if (value instanceof Uint8Array) return `<${value.length} bytes>`;
  return String(value);
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

