// Events as producers that retry write them: each hour's files hold new events, copies of events from
// earlier in the same file, and copies of events 1 to 9 hours old (a retry can land much later).
// A copy may differ from its original in type, domain or consent, so keeping the wrong copy shows.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { seededRandom } from './random.ts';

/** Hours back that copies come from; 0 is the same hour. */
const COPY_DISTANCES = [0, 1, 2, 3, 5, 9];

export interface RetriedEventsOptions {
  /** Datehours to write (gaps allowed: the lookback counts hours, not partitions). */
  datehours: string[];
  eventsPerHour?: number;
  files?: number;
  /** Share of lines that copy an earlier event. */
  copies?: number;
  seed?: number;
}

/** One partition's files as text, by datehour, for every datehour of `options`. */
export function retriedEvents({ datehours, eventsPerHour = 300, files = 2, copies = 0.15, seed = 1 }: RetriedEventsOptions): Map<string, string[]> {
  const random = seededRandom(seed);
  const written = new Map<number, string[]>(); // hour since 1970 -> its lines
  const result = new Map<string, string[]>();
  for (const datehour of [...datehours].sort()) {
    const hour = Date.parse(`${datehour.slice(0, 10)}T${datehour.slice(11)}:00:00Z`) / 3_600_000;
    const lines: string[] = [];
    for (let n = 0; n < eventsPerHour; n++) {
      const distance = random.pick(COPY_DISTANCES);
      const source = distance === 0 ? lines : written.get(hour - distance);
      if (random.chance(copies) && source && source.length > 0) {
        const original = JSON.parse(random.pick(source));
        if (random.chance(0.3)) original.type = random.pick(['pageview', 'consent.asked', 'consent.given']);
        if (random.chance(0.3)) original.domain = `site-${random.int(3)}.example`;
        lines.push(JSON.stringify(original));
        continue;
      }
      const consent = random.chance(0.5);
      lines.push(JSON.stringify({
        id: `${datehour}-${n}-${random.int(1e9)}`,
        datetime: `${datehour.slice(0, 10)} ${datehour.slice(11)}:00:00`,
        domain: `site-${random.int(3)}.example`,
        type: random.pick(['pageview', 'pageview', 'consent.asked', 'consent.given']),
        user: {
          id: `user-${random.int(40)}`,
          country: random.pick(['FR', 'DE', 'ES']),
          token: JSON.stringify({ vendors: { enabled: [], disabled: [] }, purposes: { enabled: consent ? ['analytics'] : [], disabled: [] } }),
        },
      }));
    }
    written.set(hour, lines);
    const perFile = Math.ceil(lines.length / files);
    result.set(datehour, Array.from({ length: files }, (_, file) => lines.slice(file * perFile, (file + 1) * perFile).join('\n') + '\n'));
  }
  return result;
}

/** Writes `retriedEvents` under `root` as `datehour=.../part-0000N.json`. */
export function writeRetriedEvents(root: string, options: RetriedEventsOptions): Map<string, string[]> {
  const partitions = retriedEvents(options);
  for (const [datehour, texts] of partitions) {
    const folder = join(root, `datehour=${datehour}`);
    mkdirSync(folder, { recursive: true });
    texts.forEach((text, file) => writeFileSync(join(folder, `part-${String(file).padStart(5, '0')}.json`), text));
  }
  return partitions;
}

/** `count` consecutive datehours from `first` (YYYY-MM-DD-HH), skipping the hours in `skip`. */
export function consecutiveDatehours(first: string, count: number, skip: readonly number[] = []): string[] {
  const start = Date.parse(`${first.slice(0, 10)}T${first.slice(11)}:00:00Z`);
  return Array.from({ length: count }, (_, index) => index)
    .filter((index) => !skip.includes(index))
    .map((index) => new Date(start + index * 3_600_000).toISOString().slice(0, 13).replace('T', '-'));
}
