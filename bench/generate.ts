// Seeded generator of realistic event files: skewed domains and countries, repeated users, ~2%
// duplicate lines, a few hundred common tokens plus a tail of distinct ones.
//   npm run gen -- --events 2000000 --hours 24 --files 2 --seed 1 [--out bench/data/events]
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
    out: { type: 'string' },
  },
});
const events = Number(values.events);
const hours = Number(values.hours);
const filesPerHour = Number(values.files);
const out = values.out ?? `bench/data/events-${events}`;

// The tests' seeded PRNG, so the same flags give the same bytes.
const { next: random, pick } = seededRandom(Number(values.seed));
/** Index in [0, n) with a Zipf-like skew: the first few values dominate. */
const skewed = (n: number, power = 1.6) => Math.min(n - 1, Math.floor(n * random() ** power));
const hex = (n: number) => Array.from({ length: n }, () => '0123456789abcdef'[Math.floor(random() * 16)]).join('');
const uuid = () => `${hex(8)}-${hex(4)}-4${hex(3)}-${pick(['8', '9', 'a', 'b'])}${hex(3)}-${hex(12)}`;

const domains = Array.from({ length: 300 }, (_, i) => (i % 3 === 0 ? `www.site-${i}.com` : i % 3 === 1 ? `news${i}.example.fr` : `shop-${i}.example.de`));
const countries = ['FR', 'DE', 'ES', 'IT', 'GB', 'US', 'NL', 'BE', 'PL', 'PT', 'SE', 'AT', 'CH', 'IE', 'DK', 'FI', 'NO', 'CZ', 'RO', 'GR', 'HU', 'CA', 'BR', 'JP', 'AU'];
const users = Array.from({ length: Math.max(1000, Math.floor(events / 25)) }, uuid);
const purposes = ['analytics', 'ads', 'social', 'cookies'];
const vendors = Array.from({ length: 8 }, (_, i) => `Vendor${i + 1}`);
const subset = <T>(items: readonly T[], p: number) => items.filter(() => random() < p);
const makeToken = (vendorShare: number, purposeShare: number) => {
  const enabledVendors = subset(vendors, vendorShare);
  const enabledPurposes = subset(purposes, purposeShare);
  return JSON.stringify({
    vendors: { enabled: enabledVendors, disabled: vendors.slice(0, 2).filter((v) => !enabledVendors.includes(v)) },
    purposes: { enabled: enabledPurposes, disabled: purposes.filter((p) => !enabledPurposes.includes(p)) },
  });
};
const commonTokens = Array.from({ length: 300 }, (_, i) => makeToken(0.3, i % 3 === 0 ? 0 : 0.5));

const perFile = Math.ceil(events / (hours * filesPerHour));
const recentIds: string[] = [];
let written = 0;
await rm(out, { recursive: true, force: true });
for (let hour = 0; hour < hours && written < events; hour++) {
  const stamp = new Date(Date.UTC(2021, 0, 23, 0) + hour * 3600_000);
  const datehour = stamp.toISOString().slice(0, 13).replace('T', '-');
  const folder = join(out, `datehour=${datehour}`);
  await mkdir(folder, { recursive: true });
  for (let file = 0; file < filesPerHour && written < events; file++) {
    const handle = await open(join(folder, `part-${String(file).padStart(5, '0')}-${hex(8)}.c000.json`), 'w');
    let buffer = '';
    for (let line = 0; line < perFile && written < events; line++, written++) {
      // ~2% of lines repeat a recent id, from this file or an earlier one.
      const id = recentIds.length > 100 && random() < 0.02 ? pick(recentIds) : uuid();
      if (recentIds.length < 5000) recentIds.push(id);
      else recentIds[Math.floor(random() * 5000)] = id;
      const typeRoll = random();
      const type = typeRoll < 0.7 ? 'pageview' : typeRoll < 0.85 ? 'consent.asked' : 'consent.given';
      const token = random() < 0.033 ? makeToken(0.5, 0.5).replace('{', '{' + ' '.repeat(1 + Math.floor(random() * 20))) : commonTokens[skewed(commonTokens.length, 2)]!;
      const seconds = Math.floor(random() * 3600);
      const datetime = new Date(stamp.getTime() + seconds * 1000).toISOString().slice(0, 19).replace('T', ' ');
      buffer += JSON.stringify({
        id, datetime, domain: domains[skewed(domains.length)], type,
        user: { id: users[skewed(users.length, 1.3)], country: countries[skewed(countries.length, 2)], token },
      }) + '\n';
      if (buffer.length > 1 << 20) {
        await handle.write(buffer);
        buffer = '';
      }
    }
    await handle.write(buffer);
    await handle.close();
  }
}
console.log(`wrote ${written} events to ${out}`);
