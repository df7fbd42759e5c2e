// AssemblyScript, compiled to src/metrics/countGroups.wasm by `npm run build:wasm`.
//
// Counts one partition's rows per group (domain x country) and cell (type x consent), with the
// distinct users whose first pageview in the group falls in the cell: the loop of
// src/metrics/countRows.ts, which writes the columns into the regions `layout` places and sorts the
// groups this leaves in first-seen order. Two open-addressing tables, zeroed per partition: groups by
// (domain, country) code, and (group, user) pairs by hash, users compared by their bytes.

const FNV_PRIME: u32 = 0x01000193;

// Regions (set by `layout`): inputs, then outputs (sized by the most groups there can be), then the two tables.
let types: usize = 0;
let domains: usize = 0;
let countries: usize = 0;
let userIdOffsets: usize = 0;
let userIdHashes: usize = 0;
let userIdNulls: usize = 0;
let consents: usize = 0;
let duplicates: usize = 0;
let userIdBytes: usize = 0;
let groupDomains: usize = 0;
let groupCountries: usize = 0;
let counts: usize = 0;
let users: usize = 0;
let groupSlots: usize = 0; // [domain, country, group + 1]
let groupMask: u32 = 0;
let userSlots: usize = 0; // [hash, group, row + 1, or -(row + 1) for a null user id]
let userMask: u32 = 0;

/** After `count`: the rows not marked as duplicates. */
export let kept: i32 = 0;

/**
 * Lays out the regions for a partition of `rows` rows and `bytes` bytes of user ids, with at most
 * `maxGroups` groups and `pageviews` pageviews, after this module's own data. Returns the memory size
 * they need (the caller grows the memory to it); past 4 GiB, no region is set.
 */
export function layout(rows: i32, bytes: i32, maxGroups: i32, pageviews: i32): f64 {
  const column = ((<u64>rows * 4) + 15) & ~15;
  const flags = (<u64>rows + 15) & ~15;
  const groupColumn = ((<u64>maxGroups * 4) + 15) & ~15;
  // Computed in 64 bits: a partition too large for 32-bit memory must not wrap around.
  const typesAt: u64 = (<u64>__heap_base + 15) & ~15;
  const domainsAt = typesAt + column;
  const countriesAt = domainsAt + column;
  const userIdOffsetsAt = countriesAt + column;
  const userIdHashesAt = userIdOffsetsAt + column + 16;
  const userIdNullsAt = userIdHashesAt + column;
  const consentsAt = userIdNullsAt + flags;
  const duplicatesAt = consentsAt + flags;
  const userIdBytesAt = duplicatesAt + flags;
  const groupDomainsAt = userIdBytesAt + ((<u64>bytes + 15) & ~15);
  const groupCountriesAt = groupDomainsAt + groupColumn;
  const countsAt = groupCountriesAt + groupColumn;
  const usersAt = countsAt + groupColumn * 6;
  const groupSlotsAt = usersAt + groupColumn * 6;
  const userSlotsAt = groupSlotsAt + tableSlots(maxGroups) * 12;
  const end = userSlotsAt + tableSlots(pageviews) * 12;
  if (end > 0xffff0000) return <f64>end;
  types = <usize>typesAt; domains = <usize>domainsAt; countries = <usize>countriesAt;
  userIdOffsets = <usize>userIdOffsetsAt; userIdHashes = <usize>userIdHashesAt;
  userIdNulls = <usize>userIdNullsAt; consents = <usize>consentsAt; duplicates = <usize>duplicatesAt; userIdBytes = <usize>userIdBytesAt;
  groupDomains = <usize>groupDomainsAt; groupCountries = <usize>groupCountriesAt; counts = <usize>countsAt; users = <usize>usersAt;
  groupSlots = <usize>groupSlotsAt; groupMask = <u32>(tableSlots(maxGroups) - 1);
  userSlots = <usize>userSlotsAt; userMask = <u32>(tableSlots(pageviews) - 1);
  return <f64>end;
}

/** Slots of a table for `entries` entries: a power of two, at least twice as many, at least 1024. */
function tableSlots(entries: i32): u64 {
  let slots: u64 = 1024;
  while (slots < <u64>entries * 2) slots <<= 1;
  return slots;
}

/** Where each region starts, for the caller's views: index 0..12 as listed at the top. */
export function region(index: i32): usize {
  switch (index) {
    case 0: return types;
    case 1: return domains;
    case 2: return countries;
    case 3: return userIdOffsets;
    case 4: return userIdHashes;
    case 5: return userIdNulls;
    case 6: return consents;
    case 7: return duplicates;
    case 8: return userIdBytes;
    case 9: return groupDomains;
    case 10: return groupCountries;
    case 11: return counts;
    case 12: return users;
    default: return 0;
  }
}

/**
 * Counts `rows` rows from the input regions, leaving out those `duplicates` marks: for each group,
 * `counts[group * 6 + type * 2 + (consent ? 0 : 1)]` events, and in `users` at the same cell the
 * users whose first pageview in the group is that row. Returns the groups, in first-seen order.
 */
export function count(rows: i32): i32 {
  memory.fill(groupSlots, 0, (<usize>groupMask + 1) * 12);
  memory.fill(userSlots, 0, (<usize>userMask + 1) * 12);
  let groups: i32 = 0;
  let keptRows: i32 = 0;
  for (let row: i32 = 0; row < rows; row++) {
    if (load<u8>(duplicates + <usize>row) != 0) continue;
    keptRows++;
    const group = groupOf(load<i32>(domains + (<usize>row << 2)), load<i32>(countries + (<usize>row << 2)), groups);
    if (group == groups) groups++;
    const type = load<i32>(types + (<usize>row << 2));
    const cellIndex = group * 6 + type * 2 + (load<u8>(consents + <usize>row) != 0 ? 0 : 1);
    const cell = <usize>cellIndex << 2;
    store<i32>(counts + cell, load<i32>(counts + cell) + 1);
    if (type == 0 && firstOfUser(group, row)) store<i32>(users + cell, load<i32>(users + cell) + 1);
  }
  kept = keptRows;
  return groups;
}

/** The group of (domain, country) codes (-1 is null); a new group is numbered `next`, its cells zeroed. */
function groupOf(domain: i32, country: i32, next: i32): i32 {
  const hash = (<u32>(domain + 1) * 0x9e3779b1) ^ (<u32>(country + 1) * 0x85ebca77);
  let slot = (hash ^ (hash >> 15)) & groupMask;
  while (true) {
    const at = groupSlots + <usize>slot * 12;
    const stored = load<i32>(at, 8);
    if (stored == 0) {
      store<i32>(at, domain);
      store<i32>(at, country, 4);
      store<i32>(at, next + 1, 8);
      store<i32>(groupDomains + (<usize>next << 2), domain);
      store<i32>(groupCountries + (<usize>next << 2), country);
      memory.fill(counts + <usize>next * 24, 0, 24);
      memory.fill(users + <usize>next * 24, 0, 24);
      return next;
    }
    if (load<i32>(at) == domain && load<i32>(at, 4) == country) return stored - 1;
    slot = (slot + 1) & groupMask;
  }
}

/**
 * Whether `row` is the first row of its user in `group` (adding the pair); a null user id is one user.
 */
function firstOfUser(group: i32, row: i32): bool {
  const isNull = load<u8>(userIdNulls + <usize>row) != 0;
  const hash = (<u32>(load<i32>(userIdHashes + (<usize>row << 2)) ^ group) * FNV_PRIME) ^ (isNull ? 1 : 0);
  const start = load<i32>(userIdOffsets + (<usize>row << 2));
  const length = load<i32>(userIdOffsets + (<usize>(row + 1) << 2)) - start;
  let slot = hash & userMask;
  while (true) {
    const at = userSlots + <usize>slot * 12;
    const stored = load<i32>(at, 8);
    if (stored == 0) {
      store<u32>(at, hash);
      store<i32>(at, group, 4);
      store<i32>(at, isNull ? -(row + 1) : row + 1, 8);
      return true;
    }
    if (load<u32>(at) == hash && load<i32>(at, 4) == group && (stored < 0) == isNull) {
      let same = isNull;
      if (!same) {
        const other = load<i32>(userIdOffsets + (<usize>(stored - 1) << 2));
        same = load<i32>(userIdOffsets + (<usize>stored << 2)) - other == length && sameBytes(userIdBytes + <usize>start, userIdBytes + <usize>other, length);
      }
      if (same) return false;
    }
    slot = (slot + 1) & userMask;
  }
}

function sameBytes(a: usize, b: usize, length: i32): bool {
  let i: i32 = 0;
  for (; i + 8 <= length; i += 8) if (load<u64>(a + <usize>i) != load<u64>(b + <usize>i)) return false;
  for (; i < length; i++) if (load<u8>(a + <usize>i) != load<u8>(b + <usize>i)) return false;
  return true;
}
