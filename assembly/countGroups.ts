// AssemblyScript, compiled to src/metrics/countGroups.wasm by `npm run build:wasm`.
//
// Counts one partition's rows per group (domain x country) and cell (type x consent), with the
// distinct users whose first pageview in the group falls in the cell: the loop of
// src/metrics/countRows.ts, which writes the columns into the regions `layout` places and sorts the
// groups this leaves in first-seen order. Two open-addressing tables, zeroed per partition: groups by
// (domain, country) code, and (group, user) pairs by hash, users compared by their bytes.

const FNV_PRIME: u32 = 0x01000193;

// Regions (set by `layout`): inputs, then outputs, then the two tables.
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
let userSlots: usize = 0; // [hash, group, row + 1, or -(row + 1) for a null user id]
let slotMask: u32 = 0;

/** After `count`: the rows not marked as duplicates. */
export let kept: i32 = 0;

/**
 * Lays out the regions for a partition of `rows` rows and `bytes` bytes of user ids, after this
 * module's own data; returns the memory size they need (the caller grows the memory to it).
 */
export function layout(rows: i32, bytes: i32): usize {
  let at = (__heap_base + 15) & ~15;
  const column = ((<usize>rows * 4) + 15) & ~15;
  const flags = (<usize>rows + 15) & ~15;
  types = at; at += column;
  domains = at; at += column;
  countries = at; at += column;
  userIdOffsets = at; at += column + 16;
  userIdHashes = at; at += column;
  userIdNulls = at; at += flags;
  consents = at; at += flags;
  duplicates = at; at += flags;
  userIdBytes = at; at += (<usize>bytes + 15) & ~15;
  groupDomains = at; at += column;
  groupCountries = at; at += column;
  counts = at; at += column * 6;
  users = at; at += column * 6;
  let slotCount: u32 = 1024;
  while (slotCount < <u32>rows * 2) slotCount <<= 1;
  slotMask = slotCount - 1;
  groupSlots = at; at += <usize>slotCount * 12;
  userSlots = at; at += <usize>slotCount * 12;
  return at;
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
  memory.fill(groupSlots, 0, (<usize>slotMask + 1) * 24); // both tables
  let groups: i32 = 0;
  let keptRows: i32 = 0;
  for (let row: i32 = 0; row < rows; row++) {
    if (load<u8>(duplicates + <usize>row) != 0) continue;
    keptRows++;
    const group = groupOf(load<i32>(domains + (<usize>row << 2)), load<i32>(countries + (<usize>row << 2)), groups);
    if (group == groups) groups++;
    const type = load<i32>(types + (<usize>row << 2));
    const cell = (<usize>group * 6 + <usize>type * 2 + (load<u8>(consents + <usize>row) != 0 ? 0 : 1)) << 2;
    store<i32>(counts + cell, load<i32>(counts + cell) + 1);
    if (type == 0 && firstOfUser(group, row)) store<i32>(users + cell, load<i32>(users + cell) + 1);
  }
  kept = keptRows;
  return groups;
}

/** The group of (domain, country) codes (-1 is null); a new group is numbered `next`, its cells zeroed. */
function groupOf(domain: i32, country: i32, next: i32): i32 {
  const hash = (<u32>(domain + 1) * 0x9e3779b1) ^ (<u32>(country + 1) * 0x85ebca77);
  let slot = (hash ^ (hash >> 15)) & slotMask;
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
    slot = (slot + 1) & slotMask;
  }
}

/** Whether `row` is the first row of its user in `group` (adding the pair); a null user id is one user. */
function firstOfUser(group: i32, row: i32): bool {
  const isNull = load<u8>(userIdNulls + <usize>row) != 0;
  const hash = (<u32>(load<i32>(userIdHashes + (<usize>row << 2)) ^ group) * FNV_PRIME) ^ (isNull ? 1 : 0);
  const start = load<i32>(userIdOffsets + (<usize>row << 2));
  const length = load<i32>(userIdOffsets + (<usize>(row + 1) << 2)) - start;
  let slot = hash & slotMask;
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
      if (isNull) return false;
      const other = load<i32>(userIdOffsets + (<usize>(stored - 1) << 2));
      if (load<i32>(userIdOffsets + (<usize>stored << 2)) - other == length && sameBytes(userIdBytes + <usize>start, userIdBytes + <usize>other, length)) return false;
    }
    slot = (slot + 1) & slotMask;
  }
}

function sameBytes(a: usize, b: usize, length: i32): bool {
  let i: i32 = 0;
  for (; i + 8 <= length; i += 8) if (load<u64>(a + <usize>i) != load<u64>(b + <usize>i)) return false;
  for (; i < length; i++) if (load<u8>(a + <usize>i) != load<u8>(b + <usize>i)) return false;
  return true;
}
