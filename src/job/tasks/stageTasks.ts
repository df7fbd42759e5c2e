// The three stages of a queued run, as the tasks a worker runs: read some splits, find one bucket's
// duplicates over every read, count shards of partitions (one of a large one, or small ones together). Each reads what the stage before
// wrote in the work location and writes files of its own, whole.
import pMap, { pMapIterable } from 'p-map';
import { ConsentMetricsError } from '../../errors.ts';
import type { TokenFacts } from '../../expand/parseToken.ts';
import { joinRowParts, rowsInShards } from '../../metrics/countInShards.ts';
import { countShardOfPieces, type GroupCounts, type RowPart } from '../../metrics/countRows.ts';
import { CELLS } from '../../metrics/groupCounts.ts';
import { DedupLane } from '../../metrics/DedupLane.ts';
import { splitIds } from '../../metrics/idBuckets.ts';
import { hoursSince1970 } from '../../partitions/parseDatehour.ts';
import { concatBytes, concatInt32 } from '../../read/columnBuilders.ts';
import { readSplits } from '../../read/readPartitionFiles.ts';
import { Tally, type TallyCounts } from '../../report/Tally.ts';
import type { S3Options } from '../../s3/createS3Client.ts';
import { openSource } from '../../source/openSource.ts';
import { decodeBlob, encodeBlob, type BlobColumn } from '../../state/stateBlobs.ts';
import { expandFile, withoutIds } from '../countPartition.ts';
import type { RunPlan, Task } from './taskTypes.ts';
import type { WorkStore } from './WorkStore.ts';

const idsKey = (read: number) => `ids/${read}.bin`;
const rowsKey = (read: number) => `rows/${read}.bin`;
const duplicatesKey = (bucket: number) => `duplicates/${bucket}.bin`;
/** Where a count task writes its counts: read by the run, which merges a partition's shards. */
const countsKey = (datehour: string, shard: number) => `counts/${datehour}.${shard}.bin`;
/** The kind of a read task's rows blob (`encodeBlob`): one count shard's columns, rows = its events. */
const ROWS_KIND = 'queued-rows';
/** The kind of a count task's counts blob: one shard's counts per group, rows = groups. */
const COUNTS_KIND = 'queued-counts';

/** Token facts a worker process keeps between the reads it makes. */
const tokenCache = new Map<string, TokenFacts>();

/**
 * Reads, parses and expands one read of the plan (typed arrays, tokens judged once each); writes its
 * ids split into the run's buckets and its counting columns split into its partition's count shards,
 * one file each. Never strict: the run applies strict mode to the tallies in run order, where line
 * numbers are the file's.
 */
export async function readTask(plan: RunPlan, index: number, store: WorkStore, s3: S3Options) {
  const { partition, splits } = plan.reads[index]!;
  const { datehour } = plan.partitions[partition]!;
  const source = await openSource(plan.root, s3);
  const { parsed, lines } = await readSplits(source, splits, { concurrency: plan.concurrency, workers: plan.workers, judgeTokens: true, splitBytes: plan.splitBytes });
  const tally = new Tally();
  for (const file of parsed) tally.merge(file);
  const expanded = parsed.map((file) => expandFile(file, tokenCache));
  const tokens = new Tally();
  for (const file of expanded) tokens.merge(file.tokens);
  const ids = splitIds(expanded, plan.buckets);
  const part = joinRowParts(expanded.length === 0 ? [] : expanded.map(withoutIds));
  const shards = plan.shards[partition]!;
  const inShards = rowsInShards(part, shards);
  const shardRows = inShards.map(({ rows }) => rows.rows);
  const blobs = await Promise.all(inShards.map(({ rows, picked }) => encodeRows(datehour, rows, picked)));
  const rowRanges: number[] = [];
  blobs.reduce((at, { length }, shard) => (rowRanges.push(at, at + length, shardRows[shard]!), at + length), 0);
  await Promise.all([store.put(idsKey(index), ids.bytes), store.put(rowsKey(index), concatBytes(blobs))]);
  return { tally: countsOf(tally), tokens: countsOf(tokens), lines, idRanges: ids.ranges, rowRanges, rows: part.rows };
}

const countsOf = ({ lines, rejected, invalidTokens, examples }: TallyCounts): TallyCounts => ({ lines, rejected, invalidTokens, examples });

/** One shard's columns as a blob; `picked`: each row's place among its read's rows (absent: the shard is every row, in order). */
function encodeRows(datehour: string, part: RowPart, picked?: Int32Array): Promise<Uint8Array> {
  const { rows, type, domain, country, userIdBytes, userIdOffsets, userIdHashes, userIdNull, consent } = part;
  const columns: Record<string, BlobColumn> = {
    type, domainCodes: domain.codes, domainValues: domain.values, countryCodes: country.codes, countryValues: country.values,
    userIdBytes, userIdOffsets, userIdHashes, userIdNull, consent, ...(picked && { picked }),
  };
  return encodeBlob(ROWS_KIND, datehour, rows, columns, 0); // plain: read once, soon, by one count task
}

/**
 * Finds, in one bucket, the ids that lose to an earlier copy: reads in run order (datehour, file key,
 * line), ids compared by their bytes, with the lookback. Reads the bucket's share of each read's ids
 * file (`ranges`: start and end in each); writes one file of every read's losing rows (a count, then
 * the rows), and says where each partition's reads are in it.
 */
export async function dedupTask(plan: RunPlan, bucket: number, ranges: number[], store: WorkStore) {
  const lane = new DedupLane({ lookback: plan.lookback });
  const chunks: Int32Array[] = [];
  const partitionRanges = plan.partitions.flatMap(() => [0, 0]);
  let bytes = 0;
  let duplicates = 0;
  // Shares are small (a bucket of one read's ids) and, on S3, each a request: several read ahead.
  const shares = pMapIterable(plan.reads.keys(), (read) => store.getRange(idsKey(read), ranges[2 * read]!, ranges[2 * read + 1]!), { concurrency: store.rangesInFlight, backpressure: store.rangesInFlight });
  let read = 0;
  let partition = -1;
  for await (const share of shares) {
    const at = plan.reads[read]!.partition;
    // A partition with no read has an empty range where the reads before it end.
    for (; partition < at; partition++) partitionRanges[2 * (partition + 1)] = partitionRanges[2 * (partition + 1) + 1] = bytes;
    const [losers] = lane.take([share], hoursSince1970(plan.partitions[at]!.datehour), store.describe(idsKey(read)));
    chunks.push(Int32Array.of(losers!.length), losers!);
    bytes += 4 * (losers!.length + 1);
    duplicates += losers!.length;
    partitionRanges[2 * at + 1] = bytes;
    read++;
  }
  for (; partition < plan.partitions.length - 1; partition++) partitionRanges[2 * (partition + 1)] = partitionRanges[2 * (partition + 1) + 1] = bytes;
  const joined = concatInt32(chunks);
  await store.put(duplicatesKey(bucket), new Uint8Array(joined.buffer, joined.byteOffset, joined.byteLength));
  return { partitionRanges, duplicates };
}

/**
 * Counts shards of partitions (`units`: consecutive partitions, or one shard of one): each one's reads'
 * rows of that shard (every (group, user) pair is in one shard), less the rows any bucket found losing,
 * with the function every run counts with. Reads each bucket's losers of these partitions at once;
 * writes each unit's counts for the run to merge.
 */
export async function countTask(plan: RunPlan, { units, losers: loserRanges, readRows }: Extract<Task, { kind: 'count' }>, store: WorkStore) {
  const [first, last] = [units[0]!.partition, units.at(-1)!.partition];
  const reads = [...plan.reads.keys()].filter((read) => plan.reads[read]!.partition >= first && plan.reads[read]!.partition <= last);
  const buckets = loserRanges.length / 2;
  const losersOfRead = new Map(reads.map((read) => [read, [] as Int32Array[]]));
  const span = first === last ? plan.partitions[first]!.datehour : `${plan.partitions[first]!.datehour} to ${plan.partitions[last]!.datehour}`;
  await pMap(Array.from({ length: buckets }, (_, bucket) => bucket), async (bucket) => {
    const key = duplicatesKey(bucket);
    const bytes = await store.getRange(key, loserRanges[2 * bucket]!, loserRanges[2 * bucket + 1]!);
    const words = new Int32Array(bytes.buffer, bytes.byteOffset, bytes.length >> 2);
    let at = 0;
    for (const losers of losersOfRead.values()) {
      const count = words[at] ?? -1;
      if (count < 0 || at + 1 + count > words.length) throw new ConsentMetricsError(`work file ${store.describe(key)} is damaged: its losers of ${span} end early`);
      losers.push(words.subarray(at + 1, at + 1 + count));
      at += 1 + count;
    }
    if (at !== words.length) throw new ConsentMetricsError(`work file ${store.describe(key)} is damaged: its losers of ${span} run on`);
  }, { concurrency: store.rangesInFlight });
  const groups: number[] = [];
  let kept = 0;
  for (const { partition, shard, rows: rowRanges } of units) {
    const { datehour } = plan.partitions[partition]!;
    const ofPartition = reads.filter((read) => plan.reads[read]!.partition === partition);
    const shardsOfReads = await pMap(ofPartition, async (read, at) => {
      const key = rowsKey(read);
      return decodeRows(await store.getRange(key, rowRanges[3 * at]!, rowRanges[3 * at + 1]!), datehour, rowRanges[3 * at + 2]!, store.describe(key));
    }, { concurrency: store.rangesInFlight });
    const counts = countShardOfPieces(datehour, shardsOfReads.map(({ part }) => part), shardsOfReads.map(({ picked }) => picked),
      ofPartition.map((read) => losersOfRead.get(read)!), ofPartition.map((read) => readRows[reads.indexOf(read)]!),
      (at) => `work files ${store.describe('duplicates/')} are damaged (the losers of ${store.describe(rowsKey(ofPartition[at]!))})`);
    const { domainCodes, countryCodes, domainValues, countryValues, n, users } = counts;
    await store.put(countsKey(datehour, shard), await encodeBlob(COUNTS_KIND, datehour, counts.groups, { domainCodes, countryCodes, domainValues, countryValues, n, users }, 0));
    groups.push(counts.groups);
    kept += counts.kept;
  }
  return { groups, kept };
}

/** A rows blob's columns (`rows` of them), each of the length it must have. */
async function decodeRows(bytes: Uint8Array, datehour: string, rows: number, describe: string): Promise<{ part: RowPart; picked?: Int32Array }> {
  const columns = await decodeBlob(bytes, { kind: ROWS_KIND, datehour, rows }, describe);
  const { type, domainCodes, domainValues, countryCodes, countryValues, userIdBytes, userIdOffsets, userIdHashes, userIdNull, consent, picked } = columns;
  const bytesOf = (column: BlobColumn | undefined, length: number): column is Uint8Array => column instanceof Uint8Array && column.length === length;
  if (!(fits(type, rows) && fits(domainCodes, rows) && fits(countryCodes, rows) && fits(userIdOffsets, rows + 1) && fits(userIdHashes, rows)
    && bytesOf(userIdNull, rows) && bytesOf(consent, rows) && Array.isArray(domainValues) && Array.isArray(countryValues)
    && bytesOf(userIdBytes, userIdOffsets[rows]!) && (picked === undefined || fits(picked, rows)))) {
    throw new ConsentMetricsError(`work file ${describe} is damaged: its columns are not ${rows} events of ${datehour}`);
  }
  const part: RowPart = {
    rows, type, domain: { codes: domainCodes, values: domainValues as string[] }, country: { codes: countryCodes, values: countryValues as string[] },
    userIdBytes, userIdOffsets, userIdHashes, userIdNull, consent,
  };
  return picked === undefined ? { part } : { part, picked };
}

/**
 * A count task's counts as its file holds them (rows = groups), each column of the length it must have.
 *
 * @example
 * const counts = await readShardCounts(store, '2021-01-23-10', 0, 812);
 */
export async function readShardCounts(store: WorkStore, datehour: string, shard: number, groups: number): Promise<GroupCounts> {
  const key = countsKey(datehour, shard);
  const columns = await decodeBlob(await store.get(key), { kind: COUNTS_KIND, datehour, rows: groups }, store.describe(key));
  const { domainCodes, countryCodes, domainValues, countryValues, n, users } = columns;
  if (!(fits(domainCodes, groups) && fits(countryCodes, groups) && fits(n, groups * CELLS) && fits(users, groups * CELLS) && Array.isArray(domainValues) && Array.isArray(countryValues))) {
    throw new ConsentMetricsError(`work file ${store.describe(key)} is damaged: its columns are not the counts of ${groups} groups`);
  }
  return { datehour, groups, domainCodes, countryCodes, domainValues, countryValues, n, users, kept: 0 };
}

const fits = (column: BlobColumn | undefined, length: number): column is Int32Array => column instanceof Int32Array && column.length === length;
