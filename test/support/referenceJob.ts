// An independent, deliberately naive reading of SPEC.md: whole files as strings, JSON.parse per line,
// plain objects and Maps. It shares no code with src/, so agreement with it means something.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';

export type Row = [string, string | null, string | null, number, number, number, number, number, number, number];
export interface ReferenceResult {
  rows: Row[];
  lines: number;
  duplicates: number;
  rejected: { invalid_json: number; missing_id: number; unknown_type: number };
  invalid_tokens: number;
}

/** `lookback`: hours a kept copy of an id makes later copies duplicates (SPEC.md); absent: unlimited. */
export function referenceJob(root: string, options: { partitions?: string[]; from?: string; to?: string; lookback?: number } = {}): ReferenceResult {
  const hours = readdirSync(root)
    .filter((name) => /^datehour=\d{4}-(0\d|1[0-2])-\d\d-([01]\d|2[0-3])$/.test(name) && statSync(join(root, name)).isDirectory())
    .map((name) => name.slice('datehour='.length))
    .filter((hour) => !Number.isNaN(Date.parse(hour.slice(0, 10))) && new Date(hour.slice(0, 10)).toISOString().startsWith(hour.slice(0, 10)))
    .filter((hour) => (options.partitions ? options.partitions.includes(hour) : true))
    .filter((hour) => (options.from ? hour >= options.from : true) && (options.to ? hour <= options.to : true))
    .sort();
  const result: ReferenceResult = {
    rows: [], lines: 0, duplicates: 0, rejected: { invalid_json: 0, missing_id: 0, unknown_type: 0 }, invalid_tokens: 0,
  };
  const keptAt = new Map<string, number>(); // id -> the hour (ms since 1970) of its latest kept copy
  const groups = new Map<string, { key: [string, string | null, string | null]; counts: number[]; users: Set<string | null> }>();
  for (const hour of hours) {
    const [day, hh] = [hour.slice(0, 10), hour.slice(11)];
    const time = Date.parse(`${day}T${hh}:00:00Z`);
    const folder = join(root, `datehour=${hour}`);
    const files = readdirSync(folder).filter((name) => !/^[_.]/.test(name) && statSync(join(folder, name)).isFile());
    files.sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    for (const file of files) {
      let bytes = readFileSync(join(folder, file));
      if (bytes[0] === 0x1f && bytes[1] === 0x8b) bytes = gunzipSync(bytes);
      let text = bytes.toString('utf8');
      if (text.startsWith('\ufeff')) text = text.slice(1); // a byte-order mark only at the start of a file
      for (const raw of text.split('\n')) {
        const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
        if (line.trim() === '') continue;
        result.lines++;
        let event: any;
        try {
          event = JSON.parse(line);
        } catch {
          result.rejected.invalid_json++;
          continue;
        }
        if (event === null || typeof event !== 'object' || Array.isArray(event)) { result.rejected.invalid_json++; continue; }
        if (typeof event.id !== 'string' || event.id === '') { result.rejected.missing_id++; continue; }
        if (!['pageview', 'consent.asked', 'consent.given'].includes(event.type)) { result.rejected.unknown_type++; continue; }
        let consent = false;
        const token = event.user?.token;
        if (token !== undefined && token !== null) {
          try {
            const parsed = typeof token === 'string' ? JSON.parse(token) : token;
            if (parsed !== null && (typeof parsed !== 'object' || Array.isArray(parsed))) result.invalid_tokens++;
            else consent = Array.isArray(parsed?.purposes?.enabled) && parsed.purposes.enabled.length > 0;
          } catch {
            result.invalid_tokens++;
          }
        }
        const kept = keptAt.get(event.id);
        if (kept !== undefined && (options.lookback === undefined || time - kept <= options.lookback * 3_600_000)) { result.duplicates++; continue; }
        keptAt.set(event.id, time);
        const text = (value: unknown) => (typeof value === 'string' ? value : null);
        const key: [string, string | null, string | null] = [hour, text(event.domain), text(event.user?.country)];
        const id = JSON.stringify(key);
        if (!groups.has(id)) groups.set(id, { key, counts: [0, 0, 0, 0, 0, 0], users: new Set() });
        const group = groups.get(id)!;
        const slot = ['pageview', 'consent.asked', 'consent.given'].indexOf(event.type) * 2;
        group.counts[slot]!++;
        if (consent) group.counts[slot + 1]!++;
        if (event.type === 'pageview') group.users.add(text(event.user?.id));
      }
    }
  }
  const order = (a: string | null, b: string | null) => (a === b ? 0 : a === null ? -1 : b === null ? 1 : a < b ? -1 : 1);
  result.rows = [...groups.values()]
    .sort((a, b) => order(a.key[0], b.key[0]) || order(a.key[1], b.key[1]) || order(a.key[2], b.key[2]))
    .map(({ key, counts, users }) => [...key, ...counts, counts[0] === 0 ? 0 : counts[0]! / users.size] as Row);
  return result;
}
