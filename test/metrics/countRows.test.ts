// countRows (its loop in WebAssembly) against a naive count over JS strings, on random rows whose user
// id hashes are forced equal: every user is then told apart by comparing bytes, ids of many lengths
// sharing long prefixes included. And the queued run's way: a partition's parts joined, split into
// shards of its users, each counted apart and merged, against the same naive count.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { countRowParts, countRows, type GroupCounts, type RowColumns, type RowPart } from '../../src/index.ts';
import { joinRowParts, mergeShardsOf, rowsInShards } from '../../src/metrics/countInShards.ts';
import { countShardOfPieces } from '../../src/metrics/countRows.ts';
import { seededRandom } from '../support/random.ts';

function randomRows(seed: number, rows: number, sameHash: boolean, duplicateRate = 0.1) {
  const r = seededRandom(seed);
  // Sorted as `<` sorts strings (UTF-16 code units): a prefix first, capitals before small letters, U+FFFD after an emoji.
  const domains = ['a.com', 'b.org', 'a', 'Zeta.com', 'é.fr', '\u{1F600}.com', '\uFFFD.com'];
  const countries = ['FR', 'DE'];
  const userPool = ['', 'u', 'user-0000000000000001', 'user-0000000000000002', 'user-00000000', 'user-000000001', 'é-ü', null];
  const events = Array.from({ length: rows }, () => ({
    domain: r.chance(0.9) ? r.int(domains.length) : -1,
    country: r.chance(0.9) ? r.int(countries.length) : -1,
    type: r.int(3),
    consent: r.chance(0.5),
    user: r.pick(userPool),
    duplicate: r.chance(duplicateRate),
  }));
  const encoder = new TextEncoder();
  const userBytes = events.map((event) => encoder.encode(event.user ?? ''));
  const userIdOffsets = new Int32Array(rows + 1);
  userBytes.forEach((bytes, row) => (userIdOffsets[row + 1] = userIdOffsets[row]! + bytes.length));
  const userIdBytes = new Uint8Array(userIdOffsets[rows]!);
  userBytes.forEach((bytes, row) => userIdBytes.set(bytes, userIdOffsets[row]!));
  const columns: RowColumns = {
    rows, datehour: '2021-01-23-10',
    type: Int32Array.from(events, (event) => event.type),
    domain: { codes: Int32Array.from(events, (event) => event.domain), values: domains },
    country: { codes: Int32Array.from(events, (event) => event.country), values: countries },
    userIdBytes, userIdOffsets,
    userIdHashes: Int32Array.from(events, (event) => (sameHash ? 7 : (event.user ?? '').length)),
    userIdNull: Uint8Array.from(events, (event) => (event.user === null ? 1 : 0)),
    consent: Uint8Array.from(events, (event) => (event.consent ? 1 : 0)),
  };
  return { events, columns, duplicates: Uint8Array.from(events, (event) => (event.duplicate ? 1 : 0)), domains, countries };
}

/** Per group key and cell: events, and users whose first pageview in the group is in the cell (a null user id is one user). */
function naiveCounts({ events, duplicates, domains, countries }: ReturnType<typeof randomRows>) {
  const counts = new Map<string, { n: number[]; users: number[] }>();
  const seen = new Set<string>();
  events.forEach((event, row) => {
    if (duplicates[row]) return;
    const key = `${domains[event.domain] ?? null}|${countries[event.country] ?? null}`;
    if (!counts.has(key)) counts.set(key, { n: [0, 0, 0, 0, 0, 0], users: [0, 0, 0, 0, 0, 0] });
    const cell = event.type * 2 + (event.consent ? 0 : 1);
    counts.get(key)!.n[cell]!++;
    if (event.type !== 0) return;
    const user = `${key}|${event.user === null ? 'NULL' : JSON.stringify(event.user)}`;
    if (!seen.has(user)) counts.get(key)!.users[cell]!++;
    seen.add(user);
  });
  return counts;
}

/** `counts` against a naive count of the same rows: every group and cell, groups in key order, events kept. */
function assertNaive(counts: GroupCounts, data: ReturnType<typeof randomRows>): void {
  const { groups, domainCodes, countryCodes, domainValues, countryValues, n, users, kept } = counts;
  const expected = naiveCounts(data);
  const keys = Array.from({ length: groups }, (_, group) =>
    `${domainCodes[group]! < 0 ? null : domainValues[domainCodes[group]!]}|${countryCodes[group]! < 0 ? null : countryValues[countryCodes[group]!]}`);
  // Nulls first, then by value with `<` (Arquero's orderby order), domain before country.
  const compare = (a: string, b: string) => (a === b ? 0 : a === 'null' ? -1 : b === 'null' ? 1 : a < b ? -1 : 1);
  const byKey = (a: string, b: string) => compare(a.split('|')[0]!, b.split('|')[0]!) || compare(a.split('|')[1]!, b.split('|')[1]!);
  assert.equal(keys, [...expected.keys()].sort(byKey));
  keys.forEach((key, group) => {
    assert.equal([...n.subarray(group * 6, group * 6 + 6)], expected.get(key)!.n, `${key} events`);
    assert.equal([...users.subarray(group * 6, group * 6 + 6)], expected.get(key)!.users, `${key} users`);
  });
  assert.is(kept, data.events.filter((_, row) => !data.duplicates[row]).length);
}

for (const [seed, sameHash] of [[1, true], [2, true], [3, false]] as const) {
  test(`seed ${seed}${sameHash ? ', every user hash equal' : ''}: the counts of a naive count, groups in key order`, () => {
    const data = randomRows(seed, 3_000, sameHash);
    assertNaive(countRows(data.columns, data.duplicates), data);
  });
}

/** Rows [begin, end) of `columns` as a part of their own: offsets into the shared bytes, a dictionary of their own in reverse order. */
function partOf(columns: RowColumns, begin: number, end: number): RowPart {
  const ownDictionary = ({ codes, values }: RowColumns['domain']) => {
    const used = [...new Set(Array.from(codes.subarray(begin, end)).filter((code) => code >= 0))].reverse();
    return { codes: codes.subarray(begin, end).map((code) => (code < 0 ? -1 : used.indexOf(code))), values: used.map((code) => values[code]!) };
  };
  return {
    rows: end - begin, type: columns.type.subarray(begin, end), domain: ownDictionary(columns.domain), country: ownDictionary(columns.country),
    userIdBytes: columns.userIdBytes, userIdOffsets: columns.userIdOffsets.subarray(begin, end + 1), userIdHashes: columns.userIdHashes.subarray(begin, end),
    userIdNull: columns.userIdNull.subarray(begin, end), consent: columns.consent.subarray(begin, end),
  };
}

test('a partition given as three files with dictionaries of their own: the counts of a naive count', () => {
  const data = randomRows(4, 3_000, true);
  const parts = [partOf(data.columns, 0, 1_000), partOf(data.columns, 1_000, 1_001), partOf(data.columns, 1_001, 3_000)];
  assertNaive(countRowParts('2021-01-23-10', parts, data.duplicates), data);
});

for (const [seed, rate, shards] of [[6, 0, 1], [7, 0.03, 2], [8, 0.1, 4], [9, 0.5, 8], [10, 0.95, 2], [11, 1, 4]] as const) {
  test(`parts joined, in ${shards} shards of their users, each counted apart less ${rate * 100}% of duplicates, then merged: the counts of a naive count`, () => {
    // One shard: user id hashes forced equal (users told apart by their bytes); more: real hashes, so users spread.
    const data = randomRows(seed, 3_000, shards === 1, rate);
    const parts = [partOf(data.columns, 0, 1_200), partOf(data.columns, 1_200, 3_000)];
    const joined = joinRowParts(parts);
    assert.is(joined.rows, 3_000);
    const inShards = rowsInShards(joined, shards);
    assert.is(inShards.reduce((sum, { rows }) => sum + rows.rows, 0), 3_000, 'every row in one shard');
    if (shards > 1) assert.ok(inShards.filter(({ rows }) => rows.rows > 0).length > 1, 'the rows are spread over the shards');
    // The losers as a dedup stage gives them: in two lists (two buckets), each shuffled.
    const losers = [...data.duplicates.keys()].filter((row) => data.duplicates[row] === 1);
    const lists = [shuffled(losers.filter((row) => row % 3 === 0), seed), shuffled(losers.filter((row) => row % 3 !== 0), seed + 1)];
    // Each shard counted as a count task does; every other one with its domains coded in reverse, so the
    // merge must match groups by value, not by code.
    const counted = inShards.map(({ rows, picked }, shard) => countShardOfPieces('2021-01-23-10', [shard % 2 ? reversedDomains(rows) : rows], [picked], [lists], [3_000], () => 'the test'));
    assertNaive(mergeShardsOf('2021-01-23-10', counted), data);
  });
}

test('a loser that is not one of its piece\'s rows: an error naming what is damaged, not a count', () => {
  const data = randomRows(13, 200, false);
  const [shard] = rowsInShards(data.columns, 1);
  for (const bad of [200, -1]) {
    assert.throws(() => countShardOfPieces('2021-01-23-10', [shard!.rows], [shard!.picked], [[Int32Array.of(3, bad)]], [200], () => 'work file x.bin is damaged'),
      (error: Error) => error.name === 'ConsentMetricsError' && error.message === 'work file x.bin is damaged: a losing row of 2021-01-23-10 is not one of the 200 rows it is of');
  }
});

test('a shard count that is not a power of two from 1 is refused', () => {
  const data = randomRows(12, 50, false);
  for (const shards of [3, 0.5, 0, 131_072]) assert.throws(() => rowsInShards(data.columns, shards), new RegExp(`countShards must be a power of two from 1 to 65536, got ${shards}`));
});

for (const [seed, memoryLimit] of [[21, 150_000], [22, 100_000], [23, 70_000]] as const) {
  test(`seed ${seed}: a partition past a ${memoryLimit / 1000} kB memory limit, counted in shards of its users: the counts of a naive count`, () => {
    const data = randomRows(seed, 3_000, false, 0.2);
    const parts = [partOf(data.columns, 0, 1_300), partOf(data.columns, 1_300, 3_000)];
    const sharded = countRowParts('2021-01-23-10', parts, data.duplicates, { memoryLimit });
    assertNaive(sharded, data);
    assert.equal(sharded, countRowParts('2021-01-23-10', parts, data.duplicates), 'what one count gives, dictionaries included');
  });
}

test('two users whose hashes meet in one shard are hashed apart at the next level: the counts of one count', () => {
  for (let pair = 1; pair <= 8; pair++) {
    const rows = 4_000;
    const users = ['alpha', 'beta'];
    const bytes = new TextEncoder().encode(Array.from({ length: rows }, (_, row) => users[row % 2]).join(''));
    const userIdOffsets = new Int32Array(rows + 1);
    for (let row = 0; row < rows; row++) userIdOffsets[row + 1] = userIdOffsets[row]! + users[row % 2]!.length;
    const part: RowPart = {
      rows, type: new Int32Array(rows), domain: { codes: new Int32Array(rows), values: ['a.com'] }, country: { codes: new Int32Array(rows), values: ['FR'] },
      userIdBytes: bytes, userIdOffsets, userIdHashes: Int32Array.from({ length: rows }, (_, row) => (row % 2 === 0 ? pair : pair * 7919)),
      userIdNull: new Uint8Array(rows), consent: new Uint8Array(rows),
    };
    const whole = countRowParts('2021-01-23-10', [part], new Uint8Array(rows));
    assert.equal(countRowParts('2021-01-23-10', [part], new Uint8Array(rows), { memoryLimit: 120_000 }), whole, `hashes ${pair} and ${pair * 7919}`);
    assert.equal([...whole.n.subarray(0, 2)], [0, rows], 'every row a pageview without consent');
    assert.equal([...whole.users.subarray(0, 2)], [0, 2], 'two users');
  }
});

test('one user past the memory limit cannot be sharded: a clear error naming the partition', () => {
  const data = randomRows(24, 3_000, true, 0);
  const oneUser = { ...data.columns, userIdNull: new Uint8Array(3_000).fill(1) };
  assert.throws(() => countRowParts('2021-01-23-10', [oneUser], data.duplicates, { memoryLimit: 60_000 }),
    (error: Error) => error.name === 'ConsentMetricsError' && /^partition 2021-01-23-10 is too large to count on one thread: 3000 events need .* MiB allowed, and sharding by user does not split them/.test(error.message));
});

/** `rows` with its domain dictionary in reverse order, codes moved to match. */
function reversedDomains(rows: RowPart): RowPart {
  const last = rows.domain.values.length - 1;
  return { ...rows, domain: { codes: rows.domain.codes.map((code) => (code < 0 ? code : last - code)), values: [...rows.domain.values].reverse() } };
}

/** The rows in a seeded shuffled order (dedup tasks give losers bucket by bucket, not in row order). */
function shuffled(rows: number[], seed: number): Int32Array {
  const r = seededRandom(seed);
  for (let i = rows.length - 1; i > 0; i--) {
    const j = r.int(i + 1);
    [rows[i], rows[j]] = [rows[j]!, rows[i]!];
  }
  return Int32Array.from(rows);
}

test.run();
