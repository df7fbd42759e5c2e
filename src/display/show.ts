import type { ColumnTable } from 'arquero';
import type { Table } from 'apache-arrow';
import { formatCell, formatPreview, preview } from '../write/formatTable.ts';

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
 * A table (Arquero or Apache Arrow) shown: in a notebook (a Jupyter kernel: Deno's), an HTML table of
 * the first `limit` rows with the row and column counts; in a terminal or a script, the same rows as an
 * aligned text table with a header row, printed at once. Millions of rows cost no more than `limit`.
 *
 * @example
 * show(result.metrics, { limit: 10 }); // the last expression of a cell renders as a table; a script prints it
 */
export function show(table: ColumnTable | Table, options: ShowOptions = {}): Displayable {
  const shown = displayTable(table, options);
  if (!inNotebook()) console.log(String(shown));
  return shown;
}

/**
 * `show`'s renderings of a table, printed nowhere: for values that display themselves in a notebook.
 *
 * @example
 * const html = displayTable(metrics, { limit: 5 })[JUPYTER_DISPLAY]()['text/html'];
 */
export function displayTable(table: ColumnTable | Table, { limit = 20, title }: ShowOptions = {}): Displayable {
  const shown = preview(table, limit);
  const { names, rows, total } = shown;
  const counts = `${total.toLocaleString('en')} row${total === 1 ? '' : 's'} × ${names.length} columns` +
    (total > rows.length ? `, first ${rows.length} shown` : '');
  const text = [title, formatPreview(shown)].filter(Boolean).join('\n');
  return {
    [JUPYTER_DISPLAY]: () => ({ 'text/html': htmlTable(names, rows, counts, title), 'text/plain': text }),
    // `show` printed it already: a REPL echoing the value adds one line, not the table again.
    [Symbol.for('nodejs.util.inspect.custom')]: () => `[shown: ${counts}]`,
    toString: () => text,
  } as Displayable;
}

/** Whether this runs in a Jupyter kernel, which renders what a cell returns (Deno's sets `Deno.jupyter`). */
function inNotebook(): boolean {
  try {
    return (globalThis as { Deno?: { jupyter?: unknown } }).Deno?.jupyter !== undefined;
  } catch {
    return false; // Deno outside `deno jupyter` throws on the name
  }
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

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

