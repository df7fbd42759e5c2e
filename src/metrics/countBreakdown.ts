import { tokenLists, type TokenLists } from '../expand/tokenLists.ts';
import { mergeDictionaries } from '../read/columnBuilders.ts';
import type { DictionaryColumn } from '../read/ParsedFile.ts';
import { EVENT_TYPES } from '../read/parseEventJson.ts';
import type { Breakdown } from './grouping.ts';

/**
 * The columns a breakdown counts from, per row: type code, domain, country and token (texts, not judged).
 *
 * @example
 * const part: BreakdownPart = { rows: 1, type: Int32Array.of(0), domain, country, token };
 */
export interface BreakdownPart {
  /** Rows of the part. */
  rows: number;
  /** Index into EVENT_TYPES. */
  type: Int32Array;
  /** Each row's domain. */
  domain: DictionaryColumn;
  /** Each row's country. */
  country: DictionaryColumn;
  /** Each row's token text (-1: none). */
  token: DictionaryColumn;
}

/**
 * A breakdown's rows for one time value, column by column, sorted by domain, country, type and name
 * (nulls first): plain arrays, to post between threads and to concatenate.
 *
 * @example
 * const { name, events, enabled }: BreakdownRows = countBreakdown('2021-01-23', parts, duplicates, 'purpose');
 */
export interface BreakdownRows {
  /** The time value of every row. */
  time: string;
  /** Each row's domain (all null when the domain is not a key). */
  domain: (string | null)[];
  /** Each row's country (all null when the country is not a key). */
  country: (string | null)[];
  /** Each row's event type. */
  type: string[];
  /** The purpose or vendor. */
  name: string[];
  /** The group's events of the type. */
  events: number[];
  /** Of those, the events whose token lists the name as enabled. */
  enabled: number[];
  /** Of those, the events whose token lists the name as disabled. */
  disabled: number[];
}

/** Token lists a thread keeps between the parts it counts, by token text. */
const listsOfText = new Map<string, TokenLists>();
const LISTS_KEPT = 100_000;

/**
 * Counts the breakdown `by` purpose or vendor (SPEC.md, "Breakdown by purpose or by vendor") of parts
 * whose rows `duplicates` marks (1) are left out: events per (domain, country, type, token) first, a
 * typed-array pass over the rows; then each distinct token's lists (parsed once) spread its count over
 * the names it lists. A group's rows are one per name listed, enabled or disabled, by one of its events
 * of the type. The caller merges keys it leaves out (their codes all -1) before.
 *
 * @example
 * const rows = countBreakdown('2021-01-23-10', [part], new Uint8Array(part.rows), 'vendor');
 */
export function countBreakdown(time: string, parts: readonly BreakdownPart[], duplicates: Uint8Array, by: Breakdown): BreakdownRows {
  const rowsOf = (column: DictionaryColumn, rows: number) => ({ codes: column.codes.subarray(0, rows), values: column.values });
  const domains = mergeDictionaries(parts.map((part) => rowsOf(part.domain, part.rows)));
  const countries = mergeDictionaries(parts.map((part) => rowsOf(part.country, part.rows)));
  const tokens = mergeDictionaries(parts.map((part) => rowsOf(part.token, part.rows)));
  const types = EVENT_TYPES.length;
  const tokenSpan = tokens.values.length + 1;
  const countrySpan = countries.values.length + 1;
  // (domain, country, type, token) -> events, keyed by one number (codes shifted by 1: -1 is null).
  const counts = new Map<number, number>();
  let row = 0;
  for (const part of parts) {
    for (let at = 0; at < part.rows; at++, row++) {
      if (duplicates[row]) continue;
      const key = (((domains.codes[row]! + 1) * countrySpan + countries.codes[row]! + 1) * types + part.type[at]!) * tokenSpan + tokens.codes[row]! + 1;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
  }
  if (listsOfText.size > LISTS_KEPT) listsOfText.clear();
  const listsOf = (code: number) => {
    const text = tokens.values[code]!;
    let lists = listsOfText.get(text);
    if (!lists) listsOfText.set(text, (lists = tokenLists(text)));
    return lists;
  };
  // Per (domain, country, type): its events, and per name its enabled and disabled counts.
  const groups = new Map<number, { events: number; names: Map<string, [number, number]> }>();
  for (const [key, events] of counts) {
    const token = (key % tokenSpan) - 1;
    const group = Math.floor(key / tokenSpan);
    let entry = groups.get(group);
    if (!entry) groups.set(group, (entry = { events: 0, names: new Map() }));
    entry.events += events;
    if (token < 0) continue;
    const lists = listsOf(token);
    const [enabled, disabled] = by === 'purpose' ? [lists.purposesEnabled, lists.purposesDisabled] : [lists.vendorsEnabled, lists.vendorsDisabled];
    for (const [index, names] of [enabled, disabled].entries()) {
      for (const name of names ?? []) {
        let pair = entry.names.get(name);
        if (!pair) entry.names.set(name, (pair = [0, 0]));
        pair[index]! += events;
      }
    }
  }
  const rows: BreakdownRows = { time, domain: [], country: [], type: [], name: [], events: [], enabled: [], disabled: [] };
  const valueOf = (values: readonly string[], code: number) => (code < 0 ? null : values[code]!);
  const sorted = [...groups.entries()].flatMap(([group, { events, names }]) => {
    const type = group % types;
    const domain = valueOf(domains.values, Math.floor(group / types / countrySpan) - 1);
    const country = valueOf(countries.values, (Math.floor(group / types) % countrySpan) - 1);
    return [...names].map(([name, [enabled, disabled]]) => ({ domain, country, type: EVENT_TYPES[type]!, name, events, enabled, disabled }));
  }).sort((a, b) => compare(a.domain, b.domain) || compare(a.country, b.country) || compare(a.type, b.type) || compare(a.name, b.name));
  for (const { domain, country, type, name, events, enabled, disabled } of sorted) {
    rows.domain.push(domain);
    rows.country.push(country);
    rows.type.push(type);
    rows.name.push(name);
    rows.events.push(events);
    rows.enabled.push(enabled);
    rows.disabled.push(disabled);
  }
  return rows;
}

/** Nulls first, then `<` on strings (UTF-16 code units), as the metrics' order. */
function compare(a: string | null, b: string | null): number {
  if (a === b) return 0;
  if (a === null) return -1;
  if (b === null) return 1;
  return a < b ? -1 : 1;
}
