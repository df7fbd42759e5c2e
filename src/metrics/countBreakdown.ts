import { ConsentMetricsError } from '../errors.ts';
import { tokenLists, type TokenLists } from '../expand/tokenLists.ts';
import { mergeDictionaries, StringDictionary } from '../read/columnBuilders.ts';
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
 * (nulls first, strings by `<`): typed arrays and dictionaries, to post between threads without a string per row.
 *
 * @example
 * const { rows, name, events }: BreakdownRows = countBreakdown('2021-01-23', parts, duplicates, 'purpose');
 */
export interface BreakdownRows {
  /** The time value of every row. */
  time: string;
  /** Rows. */
  rows: number;
  /** Each row's domain (all null when the domain is not a key). */
  domain: DictionaryColumn;
  /** Each row's country (all null when the country is not a key). */
  country: DictionaryColumn;
  /** Each row's event type, an index into EVENT_TYPES. */
  type: Int32Array;
  /** Each row's purpose or vendor. */
  name: DictionaryColumn;
  /** The group's events of the type. */
  events: Float64Array;
  /** Of those, the events whose token lists the name as enabled. */
  enabled: Float64Array;
  /** Of those, the events whose token lists the name as disabled. */
  disabled: Float64Array;
}

/** Token lists a thread keeps between the parts it counts, by token text. */
const listsOfText = new Map<string, TokenLists>();
const LISTS_KEPT = 100_000;

/** EVENT_TYPES' codes ranked as their names sort (`consent.asked`, `consent.given`, `pageview`). */
const TYPE_RANK = Int32Array.from(EVENT_TYPES, (type) => [...EVENT_TYPES].sort().indexOf(type));
const TYPE_OF_RANK = Int32Array.from(EVENT_TYPES, (_, rank) => TYPE_RANK.indexOf(rank));

/**
 * Counts the breakdown `by` purpose or vendor (SPEC.md, "Breakdown by purpose or by vendor") of parts
 * whose rows `duplicates` marks (1) are left out. Each kept row is one number, its group's place in the
 * output order (domain, country and type ranks) times the tokens plus its token; sorted, equal numbers
 * are one (group, token) with its events. A group's runs then spread each token's events over the names
 * it lists (each token's lists parsed once) in dense per-name counters, read out in name order. A group
 * gets a row per name listed, enabled or disabled, by one of its events of the type. The caller merges
 * keys it leaves out (their codes all -1) before.
 *
 * @example
 * const rows = countBreakdown('2021-01-23-10', [part], new Uint8Array(part.rows), 'vendor');
 */
export function countBreakdown(time: string, parts: readonly BreakdownPart[], duplicates: Uint8Array, by: Breakdown): BreakdownRows {
  const rowsOf = (column: DictionaryColumn, rows: number) => ({ codes: column.codes.subarray(0, rows), values: column.values });
  const domains = mergeDictionaries(parts.map((part) => rowsOf(part.domain, part.rows)));
  const countries = mergeDictionaries(parts.map((part) => rowsOf(part.country, part.rows)));
  const tokens = mergeDictionaries(parts.map((part) => rowsOf(part.token, part.rows)));
  const domainRank = ranksOf(domains.values);
  const countryRank = ranksOf(countries.values);
  const tokenSpan = tokens.values.length + 1;
  const countrySpan = countries.values.length + 1;
  const types = EVENT_TYPES.length;
  // Each key is one float64: exact while (groups x tokens) stays under 2^53.
  if ((domains.values.length + 1) * countrySpan * types * tokenSpan >= Number.MAX_SAFE_INTEGER) {
    throw new ConsentMetricsError(`the breakdown of ${time} has too many domains, countries and distinct tokens to count at once`);
  }

  const keys = new Float64Array(duplicates.length);
  let kept = 0;
  let row = 0;
  for (const part of parts) {
    const type = part.type;
    for (let at = 0; at < part.rows; at++, row++) {
      if (duplicates[row]) continue;
      const domain = domains.codes[row]!;
      const country = countries.codes[row]!;
      const group = ((domain < 0 ? 0 : domainRank[domain]!) * countrySpan + (country < 0 ? 0 : countryRank[country]!)) * types + TYPE_RANK[type[at]!]!;
      keys[kept++] = group * tokenSpan + tokens.codes[row]! + 1;
    }
  }
  const sorted = keys.subarray(0, kept).sort();

  const { names, enabledOf, disabledOf } = namesOfTokens(tokens.values, by);
  const out = new BreakdownBuilder();
  const enabled = new Float64Array(names.length);
  const disabled = new Float64Array(names.length);
  const listed = new Uint8Array(names.length);
  const domainOfRank = valuesByRank(domains.values, domainRank);
  const countryOfRank = valuesByRank(countries.values, countryRank);
  for (let at = 0; at < kept; ) {
    const group = Math.floor(sorted[at]! / tokenSpan);
    let events = 0;
    // The group's runs, one per token.
    while (at < kept && Math.floor(sorted[at]! / tokenSpan) === group) {
      const key = sorted[at]!;
      let count = 0;
      while (at < kept && sorted[at] === key) (at++, count++);
      events += count;
      const token = (key % tokenSpan) - 1;
      if (token < 0) continue;
      for (const name of enabledOf[token]!) (enabled[name]! += count, (listed[name] = 1));
      for (const name of disabledOf[token]!) (disabled[name]! += count, (listed[name] = 1));
    }
    const typeRank = group % types;
    const countryAt = Math.floor(group / types) % countrySpan;
    const domainAt = Math.floor(group / types / countrySpan);
    for (let name = 0; name < names.length; name++) {
      if (!listed[name]) continue;
      out.push(domainOfRank[domainAt]!, countryOfRank[countryAt]!, TYPE_OF_RANK[typeRank]!, name, events, enabled[name]!, disabled[name]!);
      enabled[name] = disabled[name] = listed[name] = 0;
    }
  }
  return { time, ...out.finish(domains.values, countries.values, names) };
}

/** Each distinct token's enabled and disabled names of `by`, as codes of `names`, which are sorted (`<`). */
function namesOfTokens(texts: readonly string[], by: Breakdown): { names: string[]; enabledOf: Int32Array[]; disabledOf: Int32Array[] } {
  if (listsOfText.size > LISTS_KEPT) listsOfText.clear();
  const lists = texts.map((text) => {
    let read = listsOfText.get(text);
    if (!read) listsOfText.set(text, (read = tokenLists(text)));
    return by === 'purpose' ? [read.purposesEnabled, read.purposesDisabled] : [read.vendorsEnabled, read.vendorsDisabled];
  });
  const dictionary = new StringDictionary();
  for (const pair of lists) for (const list of pair) for (const name of list ?? []) dictionary.code(name);
  const names = [...dictionary.values].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const codeOf = new Map(names.map((name, code) => [name, code]));
  const codes = (list: string[] | null) => Int32Array.from(list ?? [], (name) => codeOf.get(name)!);
  return { names, enabledOf: lists.map(([enabled]) => codes(enabled!)), disabledOf: lists.map(([, disabled]) => codes(disabled!)) };
}

/** Each value's rank in sorted order (`<`), from 1: 0 is left for null. */
function ranksOf(values: readonly string[]): Int32Array {
  const order = values.map((_, code) => code).sort((a, b) => (values[a]! < values[b]! ? -1 : values[a]! > values[b]! ? 1 : 0));
  const ranks = new Int32Array(values.length);
  order.forEach((code, position) => (ranks[code] = position + 1));
  return ranks;
}

/** The code at each rank (rank 0: null, -1). */
function valuesByRank(values: readonly string[], ranks: Int32Array): Int32Array {
  const codes = new Int32Array(values.length + 1).fill(-1);
  ranks.forEach((rank, code) => (codes[rank] = code));
  return codes;
}

/** Breakdown rows appended one by one into growing typed arrays. */
class BreakdownBuilder {
  private rows = 0;
  private domain = new Int32Array(1024);
  private country = new Int32Array(1024);
  private type = new Int32Array(1024);
  private name = new Int32Array(1024);
  private events = new Float64Array(1024);
  private enabled = new Float64Array(1024);
  private disabled = new Float64Array(1024);

  push(domain: number, country: number, type: number, name: number, events: number, enabled: number, disabled: number): void {
    if (this.rows === this.domain.length) this.grow();
    const at = this.rows++;
    this.domain[at] = domain;
    this.country[at] = country;
    this.type[at] = type;
    this.name[at] = name;
    this.events[at] = events;
    this.enabled[at] = enabled;
    this.disabled[at] = disabled;
  }

  finish(domains: string[], countries: string[], names: string[]): Omit<BreakdownRows, 'time'> {
    const rows = this.rows;
    return {
      rows, domain: { codes: this.domain.slice(0, rows), values: domains }, country: { codes: this.country.slice(0, rows), values: countries },
      type: this.type.slice(0, rows), name: { codes: this.name.slice(0, rows), values: names },
      events: this.events.slice(0, rows), enabled: this.enabled.slice(0, rows), disabled: this.disabled.slice(0, rows),
    };
  }

  private grow(): void {
    const bigger = <T extends Int32Array | Float64Array>(array: T): T => {
      const grown = new (array.constructor as new (length: number) => T)(array.length * 2);
      grown.set(array);
      return grown;
    };
    [this.domain, this.country, this.type, this.name] = [this.domain, this.country, this.type, this.name].map(bigger);
    [this.events, this.enabled, this.disabled] = [this.events, this.enabled, this.disabled].map(bigger);
  }
}
