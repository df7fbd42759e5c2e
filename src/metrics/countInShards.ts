// Counting a partition too large for one count's memory: in shards of its users, merged after.
import { ConsentMetricsError } from '../errors.ts';
import { concatBytes, concatInt32, mergeDictionariesInto, rebaseOffsets, remapInto, StringDictionary } from '../read/columnBuilders.ts';
import { CELLS, type GroupCounts, type RowPart } from './groupCounts.ts';
import { gather, sortedGroups } from './groupOrder.ts';

/**
 * A partition's rows counted in `shards` (rounded up to a power of two) by a hash of the user id, each
 * shard a copy of its rows given to `count` (with the next shard `level`, which may shard again): every
 * (group, user) pair falls in one shard, so events and first pageviews per group add up across them
 * exactly. The shards' groups are merged in output order. Undefined when the rows stay in one shard at
 * every level (one user holds them all).
 *
 * @example
 * const counts = countInShards(datehour, parts, duplicates, 4, 0, (shard, marks, level) => countRowParts(datehour, shard, marks));
 */
export function countInShards(
  datehour: string, parts: readonly RowPart[], duplicates: Uint8Array, shards: number, level: number,
  count: (parts: RowPart[], duplicates: Uint8Array, level: number) => GroupCounts,
): GroupCounts | undefined {
  const bits = Math.min(16, Math.ceil(Math.log2(Math.max(2, shards))));
  const rows = parts.reduce((sum, part) => sum + part.rows, 0);
  const counted: GroupCounts[] = [];
  const pickedOfParts = parts.map((part) => rowsByShard(shardOfRows(part, bits, level), 1 << bits)); // hashed and placed once
  for (let shard = 0; shard < 1 << bits; shard++) {
    const shardParts: RowPart[] = [];
    const shardDuplicates: Uint8Array[] = [];
    let at = 0;
    for (const [index, part] of parts.entries()) {
      const picked = pickedOfParts[index]![shard]!;
      shardParts.push(rowsPicked(part, picked));
      shardDuplicates.push(gather8(duplicates.subarray(at, at + part.rows), picked));
      at += part.rows;
    }
    const shardRows = shardParts.reduce((sum, part) => sum + part.rows, 0);
    // Every row in one shard: a few users' hashes met there; the next level hashes them apart, if any is left.
    if (shardRows === rows) return level + 1 < SHARD_LEVELS ? countInShards(datehour, parts, duplicates, shards, level + 1, count) : undefined;
    counted.push(count(shardParts, concatBytes(shardDuplicates), level + 1));
  }
  return mergeShards(datehour, counted);
}

/** Times a shard may be sharded again (each level hashes the user anew). */
export const SHARD_LEVELS = 4;

/**
 * A part's rows in `shards` (a power of two, at most 2^16) by a hash of the user id, as a queued run's
 * read task writes them for the count tasks of its partition: each shard's rows copied (dictionaries
 * whole), with where each came from in the part (`picked`). Hashed at a level `countInShards` never
 * uses, so that a count task's rows, sharded again there, split. One shard is `part` itself, every row
 * in place (no `picked`).
 *
 * @example
 * const shards = rowsInShards(part, 4); // shards[2].rows: the rows of users in shard 2
 */
export function rowsInShards(part: RowPart, shards: number): { rows: RowPart; picked?: Int32Array }[] {
  validateCountShards(shards);
  const bits = Math.log2(shards);
  if (bits === 0) return [{ rows: part }];
  const picked = rowsByShard(shardOfRows(part, bits, SHARD_LEVELS), shards);
  return picked.map((rows) => ({ rows: rowsPicked(part, rows), picked: rows }));
}

/**
 * The duplicate marks of a shard's rows (`rows` of them): 1 where the row's place in its piece
 * (`picked[row]`; without `picked`, the row itself) is among `losers` (the piece's losing rows, in any
 * number of lists: a list per bucket or lane); null when a loser is not one of the piece's `pieceRows`
 * rows (damaged input).
 *
 * @example
 * const marks = marksOfPicked(shard.rows.rows, shard.picked, losersByLane.map((lane) => lane[piece]), piece.rows);
 */
export function marksOfPicked(rows: number, picked: Int32Array | undefined, losers: readonly Int32Array[], pieceRows: number): Uint8Array | null {
  const lost = new Uint8Array(pieceRows);
  for (const list of losers) {
    for (let at = 0; at < list.length; at++) {
      const row = list[at]!;
      if (!(row >= 0 && row < pieceRows)) return null; // not a row of the piece: the caller names what is damaged
      lost[row] = 1;
    }
  }
  if (!picked) return lost.subarray(0, rows);
  const marks = new Uint8Array(rows);
  for (let row = 0; row < rows; row++) marks[row] = lost[picked[row]!]!;
  return marks;
}

/**
 * Parts (a partition's files, in order) as one part: columns one after another, dictionaries merged.
 *
 * @example
 * const part = joinRowParts(files.map(withoutIds));
 */
export function joinRowParts(parts: readonly RowPart[]): RowPart {
  if (parts.length === 1) return parts[0]!;
  const rows = parts.reduce((sum, part) => sum + part.rows, 0);
  const domain = new Int32Array(rows);
  const country = new Int32Array(rows);
  return {
    rows, type: concatInt32(parts.map((part) => part.type)),
    domain: { codes: domain, values: mergeDictionariesInto(domain, parts.map((part) => part.domain)) },
    country: { codes: country, values: mergeDictionariesInto(country, parts.map((part) => part.country)) },
    userIdBytes: concatBytes(parts.map((part) => part.userIdBytes.subarray(part.userIdOffsets[0]!, part.userIdOffsets[part.rows]!))),
    userIdOffsets: joinOffsets(parts),
    userIdHashes: concatInt32(parts.map((part) => part.userIdHashes)), userIdNull: concatBytes(parts.map((part) => part.userIdNull)),
    consent: concatBytes(parts.map((part) => part.consent)),
  };
}

/** The parts' user id offsets as one column, each part's moved to where its bytes go (a part's may not start at 0). */
function joinOffsets(parts: readonly RowPart[]): Int32Array {
  const out = new Int32Array(parts.reduce((sum, part) => sum + part.rows, 0) + 1);
  let row = 0;
  let byte = 0;
  for (const { userIdOffsets: offsets, rows } of parts) {
    rebaseOffsets(out, row, offsets, rows, byte - offsets[0]!);
    byte += offsets[rows]! - offsets[0]!;
    row += rows;
  }
  out[row] = byte;
  return out;
}

/** The `picked` rows of `part`, copied (dictionaries whole). */
function rowsPicked(part: RowPart, picked: Int32Array): RowPart {
  const count = picked.length;
  const offsets = part.userIdOffsets;
  const userIdOffsets = offsetsOf(offsets, picked);
  const userIdBytes = copyUserIds(part.userIdBytes, offsets, picked, new Uint8Array(userIdOffsets[count]!));
  return {
    rows: count, type: gather32(part.type, picked), domain: { codes: gather32(part.domain.codes, picked), values: part.domain.values },
    country: { codes: gather32(part.country.codes, picked), values: part.country.values }, userIdBytes, userIdOffsets,
    userIdHashes: gather32(part.userIdHashes, picked), userIdNull: gather8(part.userIdNull, picked), consent: gather8(part.consent, picked),
  };
}

// The loops below are plain indexed loops in functions of their own (a typed array's `from` with a
// mapping function, or a `subarray` per row, cost ~6x the whole count).

/** Each row's shard of 2^bits: the top bits of its user id's hash mixed with the shard level. */
function shardOfRows(part: RowPart, bits: number, level: number): Uint16Array {
  const { userIdHashes: hashes, userIdNull: nulls, rows } = part;
  const shardOf = new Uint16Array(rows);
  for (let row = 0; row < rows; row++) shardOf[row] = shardHash(hashes[row]! ^ nulls[row]!, level) >>> (32 - bits);
  return shardOf;
}

/** Each shard's rows, in order: one pass to count them, one to place them (not a pass per shard). */
function rowsByShard(shardOf: Uint16Array, shards: number): Int32Array[] {
  const sizes = new Int32Array(shards);
  for (let row = 0; row < shardOf.length; row++) sizes[shardOf[row]!]!++;
  const picked = Array.from(sizes, (size) => new Int32Array(size));
  const filled = new Int32Array(shards);
  for (let row = 0; row < shardOf.length; row++) {
    const shard = shardOf[row]!;
    picked[shard]![filled[shard]!++] = row;
  }
  return picked;
}

function gather32(values: Int32Array, picked: Int32Array): Int32Array {
  const out = new Int32Array(picked.length);
  for (let i = 0; i < picked.length; i++) out[i] = values[picked[i]!]!;
  return out;
}

function gather8(values: Uint8Array, picked: Uint8Array | Int32Array): Uint8Array {
  const out = new Uint8Array(picked.length);
  for (let i = 0; i < picked.length; i++) out[i] = values[picked[i]!]!;
  return out;
}

/** Where each picked row's user id starts once they are copied one after another (one more than rows). */
function offsetsOf(offsets: Int32Array, picked: Int32Array): Int32Array {
  const out = new Int32Array(picked.length + 1);
  for (let i = 0; i < picked.length; i++) out[i + 1] = out[i]! + offsets[picked[i]! + 1]! - offsets[picked[i]!]!;
  return out;
}

/** The picked rows' user id bytes, one after another, into `into`. */
function copyUserIds(bytes: Uint8Array, offsets: Int32Array, picked: Int32Array, into: Uint8Array): Uint8Array {
  let at = 0;
  for (let i = 0; i < picked.length; i++) {
    const end = offsets[picked[i]! + 1]!;
    for (let byte = offsets[picked[i]!]!; byte < end; byte++) into[at++] = bytes[byte]!;
  }
  return into;
}

/** MurmurHash3's finalizer of `hash` plus a level's constant: every bit depends on every input bit. */
function shardHash(hash: number, level: number): number {
  let h = (hash + Math.imul(level + 1, 0x9e3779b9)) | 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/**
 * The counts of shards of one partition's rows as one: groups with the same domain and country added
 * up, in output order. The shards share their dictionaries (the same parts' values, merged alike);
 * `mergeShardsOf` takes shards with dictionaries of their own.
 */
export function mergeShards(datehour: string, shards: readonly GroupCounts[]): GroupCounts {
  const { domainValues, countryValues } = shards[0]!;
  const width = countryValues.length + 1;
  const indexOf = new Map<number, number>();
  const domains: number[] = [];
  const countries: number[] = [];
  for (const shard of shards) {
    for (let group = 0; group < shard.groups; group++) {
      const key = (shard.domainCodes[group]! + 1) * width + shard.countryCodes[group]! + 1;
      if (indexOf.has(key)) continue;
      indexOf.set(key, domains.length);
      domains.push(shard.domainCodes[group]!);
      countries.push(shard.countryCodes[group]!);
    }
  }
  const groups = domains.length;
  const n = new Int32Array(groups * CELLS);
  const users = new Int32Array(groups * CELLS);
  for (const shard of shards) {
    for (let group = 0; group < shard.groups; group++) {
      const into = indexOf.get((shard.domainCodes[group]! + 1) * width + shard.countryCodes[group]! + 1)! * CELLS;
      for (let cell = 0; cell < CELLS; cell++) {
        n[into + cell]! += shard.n[group * CELLS + cell]!;
        users[into + cell]! += shard.users[group * CELLS + cell]!;
      }
    }
  }
  const domainCodes = Int32Array.from(domains);
  const countryCodes = Int32Array.from(countries);
  const order = sortedGroups(domainCodes, countryCodes, domainValues, countryValues);
  return {
    datehour, groups, domainCodes: gather(domainCodes, order, 1), countryCodes: gather(countryCodes, order, 1), domainValues, countryValues,
    n: gather(n, order, CELLS), users: gather(users, order, CELLS), kept: shards.reduce((sum, shard) => sum + shard.kept, 0),
  };
}

/**
 * {@link mergeShards} of shards counted apart (a queued run's count tasks), each with dictionaries of
 * its own: their codes are moved into merged dictionaries first.
 *
 * @example
 * const counts = mergeShardsOf('2021-01-23-10', countTasksCounts);
 */
export function mergeShardsOf(datehour: string, shards: readonly GroupCounts[]): GroupCounts {
  if (shards.length === 1) return shards[0]!;
  const domains = new StringDictionary();
  const countries = new StringDictionary();
  const moved = shards.map((shard) => {
    const domainCodes = new Int32Array(shard.groups);
    const countryCodes = new Int32Array(shard.groups);
    remapInto(domainCodes, 0, shard.domainCodes, Int32Array.from(shard.domainValues, (value) => domains.code(value!)));
    remapInto(countryCodes, 0, shard.countryCodes, Int32Array.from(shard.countryValues, (value) => countries.code(value!)));
    return { ...shard, domainCodes, countryCodes };
  });
  return mergeShards(datehour, moved.map((shard) => ({ ...shard, domainValues: domains.values, countryValues: countries.values })));
}

/** Throws, quoting the bad value, unless `countShards` is a power of two from 1 to 65536. */
export function validateCountShards(countShards: number): void {
  if (!Number.isInteger(countShards) || countShards < 1 || countShards > 65_536 || !Number.isInteger(Math.log2(countShards))) {
    throw new ConsentMetricsError(`countShards must be a power of two from 1 to 65536, got ${JSON.stringify(countShards)}`);
  }
}
