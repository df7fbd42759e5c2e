// Seeded generator of realistic event files: skewed domains and countries, repeated users, a few
// hundred common tokens plus a tail of distinct ones, and duplicates as producers make them: ~2% of
// lines repeated within their file, and ~1% of each hour's lines repeated in the next hour's first file
// (a retry across the hour boundary). Duplicates are exact copies of the line.
//   npm run gen -- --events 2000000 --hours 24 --files 2 --seed 1 [--spacing compact|python] [--out DIR]
// --spacing python writes what Python's json.dumps writes: `{"id": "...", "datetime": "...", ...}`.
import { mkdir, open, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { seededRandom } from '../test/support/random.ts';

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '2000000' },
    hours: { type: 'string', default: '24' },
    files: { type: 'string', default: '2' },
    seed: { type: 'string', default: '1' },
    spacing: { type: 'string', default: 'compact' },
    out: { type: 'string' },
  },
});
const events = Number(values.events);
const hours = Number(values.hours);
const filesPerHour = Number(values.files);
if (values.spacing !== 'compact' && values.spacing !== 'python') throw new Error(`--spacing must be compact or python, got ${values.spacing}`);
const spaced = values.spacing === 'python';
const out = values.out ?? `bench/data/events-${events}${spaced ? '-spaced' : ''}`;

// The tests' seeded PRNG, so the same flags give the same bytes.
const { next: random, pick, int } = seededRandom(Number(values.seed));
/** Index in [0, n) with a Zipf-like skew: the first few values dominate. */
const skewed = (n: number, power = 1.6) => Math.min(n - 1, Math.floor(n * random() ** power));
const hex = (n: number) => Array.from({ length: n }, () => '0123456789abcdef'[Math.floor(random() * 16)]).join('');
const uuid = () => `${hex(8)}-${hex(4)}-4${hex(3)}-${pick(['8', '9', 'a', 'b'])}${hex(3)}-${hex(12)}`;
/** JSON as the producer writes it: compact (JSON.stringify), or as Python's json.dumps does, `, ` and `: ` apart. */
const toJson = (value: unknown): string => (spaced ? dumps(value) : JSON.stringify(value));
function dumps(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(dumps).join(', ')}]`;
  if (value !== null && typeof value === 'object') return `{${Object.entries(value).map(([key, item]) => `${JSON.stringify(key)}: ${dumps(item)}`).join(', ')}}`;
  return JSON.stringify(value); // strings here are ASCII, which json.dumps writes the same way
}

const domains = Array.from({ length: 300 }, (_, i) => (i % 3 === 0 ? `www.site-${i}.com` : i % 3 === 1 ? `news${i}.example.fr` : `shop-${i}.example.de`));
const countries = ['FR', 'DE', 'ES', 'IT', 'GB', 'US', 'NL', 'BE', 'PL', 'PT', 'SE', 'AT', 'CH', 'IE', 'DK', 'FI', 'NO', 'CZ', 'RO', 'GR', 'HU', 'CA', 'BR', 'JP', 'AU'];
const users = Array.from({ length: Math.max(1000, Math.floor(events / 25)) }, uuid);
const purposes = ['analytics', 'ads', 'social', 'cookies'];
const vendors = Array.from({ length: 8 }, (_, i) => `Vendor${i + 1}`);
const subset = <T>(items: readonly T[], p: number) => items.filter(() => random() < p);
const makeToken = (vendorShare: number, purposeShare: number) => {
  const enabledVendors = subset(vendors, vendorShare);
  const enabledPurposes = subset(purposes, purposeShare);
  return toJson({
    vendors: { enabled: enabledVendors, disabled: vendors.slice(0, 2).filter((v) => !enabledVendors.includes(v)) },
    purposes: { enabled: enabledPurposes, disabled: purposes.filter((p) => !enabledPurposes.includes(p)) },
  });
};
const commonTokens = Array.from({ length: 300 }, (_, i) => makeToken(0.3, i % 3 === 0 ? 0 : 0.5));

const perFile = Math.ceil(events / (hours * filesPerHour));
let written = 0;
/** Lines of the previous hour to repeat at the start of this hour's first file. */
let carriedOver: string[] = [];
await rm(out, { recursive: true, force: true });
for (let hour = 0; hour < hours && written < events; hour++) {
  const stamp = new Date(Date.UTC(2021, 0, 23, 0) + hour * 3600_000);
  const datehour = stamp.toISOString().slice(0, 13).replace('T', '-');
  const folder = join(out, `datehour=${datehour}`);
  await mkdir(folder, { recursive: true });
  const nextCarriedOver: string[] = [];
  for (let file = 0; file < filesPerHour && written < events; file++) {
    const handle = await open(join(folder, `part-${String(file).padStart(5, '0')}-${hex(8)}.c000.json`), 'w');
    const recentLines: string[] = [];
    let buffer = file === 0 ? carriedOver.join('') : '';
    written += file === 0 ? carriedOver.length : 0;
    for (let line = 0; line < perFile && written < events; line++, written++) {
      let text: string;
      if (recentLines.length > 100 && random() < 0.02) {
        text = recentLines[int(recentLines.length)]!;
      } else {
        const typeRoll = random();
        const type = typeRoll < 0.7 ? 'pageview' : typeRoll < 0.85 ? 'consent.asked' : 'consent.given';
        const token = random() < 0.033 ? makeToken(0.5, 0.5).replace('{', '{' + ' '.repeat(1 + Math.floor(random() * 20))) : commonTokens[skewed(commonTokens.length, 2)]!;
        const datetime = new Date(stamp.getTime() + Math.floor(random() * 3600) * 1000).toISOString().slice(0, 19).replace('T', ' ');
        text = toJson({
          id: uuid(), datetime, domain: domains[skewed(domains.length)], type,
          user: { id: users[skewed(users.length, 1.3)], country: countries[skewed(countries.length, 2)], token },
        }) + '\n';
        if (recentLines.length < 5000) recentLines.push(text);
        else recentLines[int(5000)] = text;
      }
      if (random() < 0.01) nextCarriedOver.push(text);
      buffer += text;
      if (buffer.length > 1 << 20) {
        await handle.write(buffer);
        buffer = '';
      }
    }
    await handle.write(buffer);
    await handle.close();
  }
  carriedOver = nextCarriedOver;
}
console.log(`wrote ${written} events to ${out}`);
