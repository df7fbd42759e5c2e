import { ConsentMetricsError } from '../errors.ts';
import type { GroupCounts, RowTrail } from './countRows.ts';

/**
 * A partition's counts of every row ({@link countTrackedRows}) less the rows `losers` lists: exactly
 * what `countRowParts` gives with those rows marked as duplicates, from the trail instead of the rows.
 * Each loser leaves its cell; where it was its user's first pageview in its group, the user moves to
 * the cell of their next pageview that is kept, or leaves the group. Groups left with no event go.
 * A loser outside the partition's rows is an error (the work files do not belong together).
 *
 * @example
 * const { counts, trail } = countTrackedRows(datehour, parts); // in the read task
 * const counted = withoutRows(counts, trail, Int32Array.of(3, 17)); // once the dedup tasks have spoken
 */
export function withoutRows(counts: GroupCounts, trail: RowTrail, losers: Int32Array): GroupCounts {
  if (losers.length === 0) return counts;
  const { cells, next } = trail;
  const rows = cells.length;
  const lost = new Uint8Array(rows);
  const n = counts.n.slice();
  const users = counts.users.slice();
  let removed = 0;
  for (const row of losers) {
    if (!(row >= 0 && row < rows)) throw new ConsentMetricsError(`duplicate row ${row} is not one of the partition ${counts.datehour}'s ${rows} rows`);
    if (lost[row]) continue;
    lost[row] = 1;
    removed++;
    const cell = cells[row]!;
    n[cell < 0 ? ~cell : cell]!--;
  }
  for (const row of losers) {
    const cell = cells[row]!;
    if (cell >= 0 || lost[row] !== 1) continue;
    lost[row] = 2; // its user moved once
    users[~cell]!--;
    let later = next[row]!;
    while (later !== 0 && lost[later - 1] !== 0) later = next[later - 1]!;
    if (later !== 0) users[cells[later - 1]!]!++;
  }
  return { ...withoutEmptyGroups(counts, n, users, cells, losers), kept: counts.kept - removed };
}

/**
 * `counts` with `n` and `users` in place of its own, less the groups whose events are all gone: only
 * groups that lost an event (`losers`' cells) can be, so only those are looked at.
 */
function withoutEmptyGroups(counts: GroupCounts, n: Int32Array, users: Int32Array, cells: Int32Array, losers: Int32Array): GroupCounts {
  const empty = new Uint8Array(counts.groups);
  let emptied = 0;
  for (const row of losers) {
    const cell = cells[row]!;
    const group = ((cell < 0 ? ~cell : cell) / 6) | 0;
    if (empty[group] || n[group * 6] || n[group * 6 + 1] || n[group * 6 + 2] || n[group * 6 + 3] || n[group * 6 + 4] || n[group * 6 + 5]) continue;
    empty[group] = 1;
    emptied++;
  }
  if (emptied === 0) return { ...counts, n, users };
  const groups = counts.groups - emptied;
  const kept = { n: new Int32Array(groups * 6), users: new Int32Array(groups * 6), domainCodes: new Int32Array(groups), countryCodes: new Int32Array(groups) };
  let place = 0;
  for (let group = 0; group < counts.groups; group++) {
    if (empty[group]) continue;
    kept.domainCodes[place] = counts.domainCodes[group]!;
    kept.countryCodes[place] = counts.countryCodes[group]!;
    for (let cell = 0; cell < 6; cell++) {
      kept.n[place * 6 + cell] = n[group * 6 + cell]!;
      kept.users[place * 6 + cell] = users[group * 6 + cell]!;
    }
    place++;
  }
  return { ...counts, groups, ...kept };
}
