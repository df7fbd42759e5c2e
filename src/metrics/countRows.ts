import { ConsentMetricsError } from '../errors.ts';
import { mergeDictionariesInto, rebaseOffsets } from '../read/columnBuilders.ts';
import { countInShards, marksOfPicked, SHARD_LEVELS } from './countInShards.ts';
import { concatBytes } from '../read/columnBuilders.ts';
import { CELLS, type GroupCounts, type RowColumns, type RowPart } from './groupCounts.ts';
import { gather, sortedGroups } from './groupOrder.ts';
import { growMemory, MAX_MEMORY, wasmInstance, type WasmGlobal, type WasmMemory } from '../wasm/wasmModule.ts';

export { EMPTY_ROWS, type CountedGroups, type GroupCounts, type RowColumns, type RowPart } from './groupCounts.ts';

/**
 * Counts one partition's rows, leaving out those `duplicates` marks (1): for each group (domain x
 * country) and each cell of type x consent, events and distinct users whose first pageview in the
 * group falls in the cell: the pivot, done while counting. The core of `aggregatePartition`, on
 * plain arrays, with no Arrow or Arquero (the job runs it on worker threads, straight from parsed
 * files). The loop runs in WebAssembly (assembly/countGroups.ts); the groups are sorted here.
 *
 * @example
 * const { groups, n, users, kept } = countRows(columns, duplicates);
 */
export function countRows(columns: RowColumns, duplicates: Uint8Array): GroupCounts {
  return countRowParts(columns.datehour, [columns], duplicates);
}


/**
 * {@link countRows} on a partition given as its files' columns, one after another (`duplicates`
 * marks the rows of all of them): they are written straight into the counting loop's memory, their
 * dictionaries merged on the way, with no concatenated copy between.
 *
 * @example
 * const { groups } = countRowParts('2021-01-23-10', files, duplicates);
 */
export function countRowParts(datehour: string, parts: readonly RowPart[], duplicates: Uint8Array, { memoryLimit = MAX_MEMORY }: CountOptions = {}): GroupCounts {
  return countParts(datehour, parts, duplicates, memoryLimit);
}

/**
 * One shard of a partition counted, as a count task or a count thread does: each piece's rows of the
 * shard (`parts`, with `picked`, their places in the piece), less the piece's losing rows (`losers`, per
 * piece, in lists: a list per bucket or lane). A loser that is not one of its piece's rows (`pieceRows`)
 * is an error that `describe` starts (naming the damaged input): never a wrong count.
 *
 * @example
 * const counts = countShardOfPieces(datehour, parts, picked, losersOfPiece, pieceRows, (piece) => `work file ${name} is damaged`);
 */
export function countShardOfPieces(
  datehour: string, parts: readonly RowPart[], picked: readonly (Int32Array | undefined)[], losers: readonly (readonly Int32Array[])[],
  pieceRows: readonly number[], describe: (piece: number) => string,
): GroupCounts {
  const marks = parts.map((part, piece) => {
    const marked = marksOfPicked(part.rows, picked[piece], losers[piece]!, pieceRows[piece]!);
    if (!marked) throw new ConsentMetricsError(`${describe(piece)}: a losing row of ${datehour} is not one of the ${pieceRows[piece]} rows it is of`);
    return marked;
  });
  return countRowParts(datehour, parts, concatBytes(marks));
}

/**
 * How {@link countRowParts} may use memory.
 *
 * @example
 * countRowParts(datehour, parts, duplicates, { memoryLimit: 256 << 20 }); // shards past 256 MiB
 */
export interface CountOptions {
  /**
   * Bytes of WebAssembly memory one count may lay out: a partition that needs more is counted in
   * shards of its users, each within it. Default: 4 GiB, all a WebAssembly memory holds.
   */
  memoryLimit?: number;
}

function countParts(datehour: string, parts: readonly RowPart[], duplicates: Uint8Array, memoryLimit = MAX_MEMORY, level = 0): GroupCounts {
  const rows = parts.reduce((sum, part) => sum + part.rows, 0);
  const userIdBytes = parts.reduce((sum, part) => sum + part.userIdOffsets[part.rows]! - part.userIdOffsets[0]!, 0);
  // At most one group per (domain, country) pair, and one (group, user) pair per pageview: the tables' sizes.
  const distinct = (column: 'domain' | 'country') => parts.reduce((sum, part) => sum + part[column].values.length, 0) + 1;
  const maxGroups = Math.min(rows, distinct('domain') * distinct('country'));
  const counter = GroupCounter.forThisThread();
  // Sized first with every row a pageview (the most the tables can need), so that a partition too
  // large is known before its types are read.
  const most = counter.memoryFor(rows, userIdBytes, maxGroups, rows);
  let pageviews: number | undefined; // read from the types only once a size needs them
  const pageviewsOf = () => (pageviews ??= parts.reduce((sum, part) => sum + countPageviews(part.type, part.rows), 0));
  if (most > memoryLimit && level < SHARD_LEVELS) {
    const needed = counter.memoryFor(rows, userIdBytes, maxGroups, pageviewsOf());
    const countShard = (shard: RowPart[], marks: Uint8Array, next: number) => countParts(datehour, shard, marks, memoryLimit, next);
    const sharded = needed > memoryLimit ? countInShards(datehour, parts, duplicates, Math.ceil(needed / memoryLimit), level, countShard) : undefined;
    if (sharded) return sharded; // else one user holds every row: laid out as it is, the error below names the partition
  }
  const input = counter.layout(datehour, rows, userIdBytes, maxGroups, pageviewsOf(), memoryLimit);
  // Each part's dictionary codes, remapped into one dictionary per column.
  const codesOf = (column: 'domain' | 'country') => parts.map((part) => ({ codes: part[column].codes.subarray(0, part.rows), values: part[column].values }));
  const domainValues = mergeDictionariesInto(input.domains, codesOf('domain'));
  const countryValues = mergeDictionariesInto(input.countries, codesOf('country'));
  let row = 0;
  let userIdByte = 0;
  for (const part of parts) {
    const count = part.rows;
    input.types.set(part.type.subarray(0, count), row);
    const offsets = part.userIdOffsets;
    rebaseOffsets(input.userIdOffsets, row, offsets, count, userIdByte - offsets[0]!);
    input.userIdHashes.set(part.userIdHashes.subarray(0, count), row);
    input.userIdNulls.set(part.userIdNull.subarray(0, count), row);
    input.consents.set(part.consent.subarray(0, count), row);
    input.userIdBytes.set(part.userIdBytes.subarray(offsets[0]!, offsets[count]!), userIdByte);
    row += count;
    userIdByte += offsets[count]! - offsets[0]!;
  }
  input.userIdOffsets[rows] = userIdByte;
  input.duplicates.set(duplicates.subarray(0, rows));
  const { groups, groupDomains, groupCountries, counts, users, kept } = counter.count(rows);

  // Groups in output order (domain, then country, nulls first), so the metrics' sort finds them sorted.
  const order = sortedGroups(groupDomains, groupCountries, domainValues, countryValues);
  return {
    datehour, groups, domainCodes: gather(groupDomains, order, 1), countryCodes: gather(groupCountries, order, 1),
    domainValues, countryValues, n: gather(counts, order, CELLS), users: gather(users, order, CELLS), kept,
  };
}

/** Rows whose type code is 0, a pageview: the most (group, user) pairs the user table must hold. */
function countPageviews(types: Int32Array, rows: number): number {
  let pageviews = 0;
  for (let row = 0; row < rows; row++) if (types[row] === 0) pageviews++;
  return pageviews;
}



interface CountExports {
  memory: WasmMemory;
  layout(rows: number, bytes: number, maxGroups: number, pageviews: number): number;
  region(index: number): number;
  count(rows: number): number;
  kept: WasmGlobal;
}

/** The counting loop's WebAssembly instance, one per thread, its memory reused from partition to partition. */
class GroupCounter {
  private static instance: GroupCounter | undefined;
  private readonly exports = wasmInstance<CountExports>(new URL('./countGroups.wasm', import.meta.url)); // assembly/countGroups.ts

  static forThisThread(): GroupCounter {
    return (GroupCounter.instance ??= new GroupCounter());
  }

  /** The memory a layout of these sizes needs, in bytes (nothing is laid out that a later `layout` would keep). */
  memoryFor(rows: number, userIdBytes: number, maxGroups: number, pageviews: number): number {
    return this.exports.layout(rows, userIdBytes, maxGroups, pageviews);
  }

  /** Lays out the memory for a partition; returns views of the input regions, to fill before `count`. */
  layout(datehour: string, rows: number, userIdBytes: number, maxGroups: number, pageviews: number, memoryLimit = MAX_MEMORY) {
    const { memory, layout, region } = this.exports;
    const needed = layout(rows, userIdBytes, maxGroups, pageviews);
    if (needed > Math.min(memoryLimit, MAX_MEMORY)) {
      const limit = memoryLimit < MAX_MEMORY ? `${(memoryLimit / 2 ** 20).toFixed(0)} MiB allowed` : 'WebAssembly memory holds 4 GiB';
      throw new ConsentMetricsError(`partition ${datehour} is too large to count on one thread: ${rows} events need ` +
        `${(needed / 2 ** 30).toFixed(1)} GiB of memory, ${limit}, and sharding by user does not split them (one user holds most of them)`);
    }
    growMemory(memory, needed);
    const buffer = memory.buffer;
    const int32s = (index: number, length = rows) => new Int32Array(buffer, region(index), length);
    const bytes = (index: number, length = rows) => new Uint8Array(buffer, region(index), length);
    return {
      types: int32s(0), domains: int32s(1), countries: int32s(2), userIdOffsets: int32s(3, rows + 1), userIdHashes: int32s(4),
      userIdNulls: bytes(5), consents: bytes(6), duplicates: bytes(7), userIdBytes: bytes(8, userIdBytes),
    };
  }

  /** Counts the rows laid out; the results are views into the memory, valid until the next layout. */
  count(rows: number) {
    const { memory, region, count, kept } = this.exports;
    const groups = count(rows);
    const int32s = (index: number, length: number) => new Int32Array(memory.buffer, region(index), length);
    return {
      groups, groupDomains: int32s(9, groups), groupCountries: int32s(10, groups), counts: int32s(11, groups * CELLS), users: int32s(12, groups * CELLS),
      kept: kept.value as number,
    };
  }
}
