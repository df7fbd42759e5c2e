// An independent, deliberately naive reading of SPEC.md's "Events, breakdowns and grain": whole files
// as strings, JSON.parse per line, plain objects and Maps. Like referenceJob.ts (whose reading loop it
// copies), it shares no code with src/, so agreement with it means something.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';

export const EVENT_COLUMNS = [
  'id', 'datehour', 'datetime', 'domain', 'type', 'user_id', 'country', 'consent',
  'purposes_enabled', 'purposes_disabled', 'vendors_enabled', 'vendors_disabled', 'file', 'line',
] as const;

export interface ReferenceEvent {
  id: string;
  datehour: string;
  datetime: string | null;
  domain: string | null;
  type: string;
  user_id: string | null;
  country: string | null;
  consent: boolean;
  purposes_enabled: string[] | null;
  purposes_disabled: string[] | null;
  vendors_enabled: string[] | null;
  vendors_disabled: string[] | null;
  /** The file's key under the root: `datehour=2021-01-23-10/part-0.json`. */
  file: string;
  line: number;
}

export type Grain = 'hour' | 'day';
export type Key = 'domain' | 'country';
export interface GrainOptions { grain?: Grain; keys?: Key[] }

/** The deduplicated events of a run, in run order (datehour, file key, line). */
export function referenceEvents(root: string, options: { partitions?: string[]; from?: string; to?: string; lookback?: number } = {}): ReferenceEvent[] {
  const hours = readdirSync(root)
    .filter((name) => /^datehour=\d{4}-(0\d|1[0-2])-\d\d-([01]\d|2[0-3])$/.test(name) && statSync(join(root, name)).isDirectory())
    .map((name) => name.slice('datehour='.length))
    .filter((hour) => !Number.isNaN(Date.parse(hour.slice(0, 10))) && new Date(hour.slice(0, 10)).toISOString().startsWith(hour.slice(0, 10)))
    .filter((hour) => (options.partitions ? options.partitions.includes(hour) : true))
    .filter((hour) => (options.from ? hour >= options.from : true) && (options.to ? hour <= options.to : true))
    .sort();
  const events: ReferenceEvent[] = [];
  const keptAt = new Map<string, number>(); // id -> the hour (ms since 1970) of its latest kept copy
  const text = (value: unknown) => (typeof value === 'string' ? value : null);
  for (const hour of hours) {
    const [day, hh] = [hour.slice(0, 10), hour.slice(11)];
    const time = Date.parse(`${day}T${hh}:00:00Z`);
    const folder = join(root, `datehour=${hour}`);
    const files = readdirSync(folder).filter((name) => !/^[_.]/.test(name) && statSync(join(folder, name)).isFile());
    files.sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    for (const file of files) {
      let bytes = readFileSync(join(folder, file));
      if (bytes[0] === 0x1f && bytes[1] === 0x8b) bytes = gunzipSync(bytes);
      let content = bytes.toString('utf8');
      if (content.startsWith('\ufeff')) content = content.slice(1); // a byte-order mark only at the start of a file
      for (const [index, raw] of content.split('\n').entries()) {
        const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
        if (line.trim() === '') continue;
        let event: any;
        try {
          event = JSON.parse(line);
        } catch {
          continue; // invalid_json
        }
        if (event === null || typeof event !== 'object' || Array.isArray(event)) continue; // invalid_json
        if (typeof event.id !== 'string' || event.id === '') continue; // missing_id
        if (!['pageview', 'consent.asked', 'consent.given'].includes(event.type)) continue; // unknown_type
        // The token: a string is JSON-parsed, any other non-null value is the object itself.
        let parsed: any = null; // null: missing, null, invalid, or JSON null
        const token = event.user?.token;
        if (token !== undefined && token !== null) {
          try {
            const value = typeof token === 'string' ? JSON.parse(token) : token;
            if (value !== null && typeof value === 'object' && !Array.isArray(value)) parsed = value; // else invalid
          } catch {
            // invalid: no consent, no lists
          }
        }
        const kept = keptAt.get(event.id);
        if (kept !== undefined && (options.lookback === undefined || time - kept <= options.lookback * 3_600_000)) continue;
        keptAt.set(event.id, time);
        const consent = Array.isArray(parsed?.purposes?.enabled) && parsed.purposes.enabled.length > 0;
        const list = (group: 'purposes' | 'vendors', which: 'enabled' | 'disabled'): string[] | null => {
          const holder = parsed?.[group];
          if (holder === null || typeof holder !== 'object' || Array.isArray(holder)) return null;
          const entries = holder[which];
          if (!Array.isArray(entries)) return null;
          const names: string[] = [];
          for (const entry of entries) if (typeof entry === 'string' && !names.includes(entry)) names.push(entry);
          return names;
        };
        events.push({
          id: event.id,
          datehour: hour,
          datetime: text(event.datetime),
          domain: text(event.domain),
          type: event.type,
          user_id: text(event.user?.id),
          country: text(event.user?.country),
          consent,
          purposes_enabled: list('purposes', 'enabled'),
          purposes_disabled: list('purposes', 'disabled'),
          vendors_enabled: list('vendors', 'enabled'),
          vendors_disabled: list('vendors', 'disabled'),
          file: `datehour=${hour}/${file}`,
          line: index + 1,
        });
      }
    }
  }
  return events;
}

const TYPES = ['pageview', 'consent.asked', 'consent.given'];
const order = (a: string | null, b: string | null) => (a === b ? 0 : a === null ? -1 : b === null ? 1 : a < b ? -1 : 1);
const byColumns = (a: (string | null)[], b: (string | null)[]) => {
  for (let i = 0; i < a.length; i++) {
    const c = order(a[i]!, b[i]!);
    if (c !== 0) return c;
  }
  return 0;
};
const timeOf = (event: ReferenceEvent, grain: Grain) => (grain === 'day' ? event.datehour.slice(0, 10) : event.datehour);
const groupOf = (event: ReferenceEvent, grain: Grain, keys: Key[]): (string | null)[] => [timeOf(event, grain), ...keys.map((key) => event[key])];

/** The metrics' column names for a grain and keys. */
export function metricsColumns({ grain = 'hour', keys = ['domain', 'country'] }: GrainOptions = {}): string[] {
  return [grain === 'day' ? 'date' : 'datehour', ...keys, 'pageviews', 'pageviews_with_consent', 'consents_asked',
    'consents_asked_with_consent', 'consents_given', 'consents_given_with_consent', 'avg_pageviews_per_user'];
}

/** A breakdown's column names for a grain and keys. */
export function breakdownColumns(by: 'purpose' | 'vendor', { grain = 'hour', keys = ['domain', 'country'] }: GrainOptions = {}): string[] {
  return [grain === 'day' ? 'date' : 'datehour', ...keys, 'type', by, 'events', 'enabled', 'disabled'];
}

/** Metrics rows (arrays, columns as `metricsColumns`) over the events, at a grain and keys. */
export function referenceMetrics(events: ReferenceEvent[], { grain = 'hour', keys = ['domain', 'country'] }: GrainOptions = {}): (string | number | null)[][] {
  const groups = new Map<string, { key: (string | null)[]; counts: number[]; users: Set<string | null> }>();
  for (const event of events) {
    const key = groupOf(event, grain, keys);
    const id = JSON.stringify(key);
    if (!groups.has(id)) groups.set(id, { key, counts: [0, 0, 0, 0, 0, 0], users: new Set() });
    const group = groups.get(id)!;
    const slot = TYPES.indexOf(event.type) * 2;
    group.counts[slot]!++;
    if (event.consent) group.counts[slot + 1]!++;
    if (event.type === 'pageview') group.users.add(event.user_id);
  }
  return [...groups.values()]
    .sort((a, b) => byColumns(a.key, b.key))
    .map(({ key, counts, users }) => [...key, ...counts, counts[0] === 0 ? 0 : counts[0]! / users.size]);
}

/** Breakdown rows (arrays, columns as `breakdownColumns`) by purpose or vendor, at a grain and keys. */
export function referenceBreakdown(events: ReferenceEvent[], by: 'purpose' | 'vendor', { grain = 'hour', keys = ['domain', 'country'] }: GrainOptions = {}): (string | number | null)[][] {
  const lists = by === 'purpose' ? (['purposes_enabled', 'purposes_disabled'] as const) : (['vendors_enabled', 'vendors_disabled'] as const);
  // (time, keys, type) -> its event count and, per name, [enabled, disabled]
  const groups = new Map<string, { key: (string | null)[]; events: number; names: Map<string, [number, number]> }>();
  for (const event of events) {
    const key = [...groupOf(event, grain, keys), event.type];
    const id = JSON.stringify(key);
    if (!groups.has(id)) groups.set(id, { key, events: 0, names: new Map() });
    const group = groups.get(id)!;
    group.events++;
    for (const [slot, column] of lists.entries()) {
      for (const name of new Set(event[column] ?? [])) {
        if (!group.names.has(name)) group.names.set(name, [0, 0]);
        group.names.get(name)![slot]!++;
      }
    }
  }
  const rows: (string | number | null)[][] = [];
  for (const { key, events: count, names } of groups.values()) {
    for (const [name, [enabled, disabled]] of names) rows.push([...key, name, count, enabled, disabled]);
  }
  const width = keys.length + 3; // time, keys, type, name
  return rows.sort((a, b) => byColumns(a.slice(0, width) as (string | null)[], b.slice(0, width) as (string | null)[]));
}
