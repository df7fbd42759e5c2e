// A run's deduplication in lanes: each piece's ids split into buckets where it is parsed, each lane
// (a range of buckets) deduplicated on a thread of its own, in run order.
import { bucketsOfLane, DedupLane, type IdShare } from '../metrics/DedupLane.ts';
import { splitIds } from '../metrics/idBuckets.ts';
import { rowsInShards } from '../metrics/countInShards.ts';
import type { RowPart } from '../metrics/groupCounts.ts';
import type { WorkerHandler } from '../read/workerProtocol.ts';
import { withoutIds, type CountingFile, type ExpandedFile } from './countPartition.ts';

/**
 * An expanded piece (a file, or a split of one) whose ids are split into buckets (`splitIds`), one
 * share of them per dedup lane: what a run's threads post, so that no id crosses this thread.
 *
 * @example
 * const piece: BucketedFile = bucketFile(expandFile(parsed, cache), 64, 2);
 */
export interface BucketedFile extends CountingFile {
  /** Per lane, its share of the ids (`IdShare`). */
  idShares: IdShare[];
  /**
   * For a partition counted in shards on several threads (`shardCounting`): the piece's counting columns
   * by user shard, each row's place in the piece with it; the piece's own columns are then empty.
   */
  countShards?: { rows: RowPart; picked?: Int32Array }[];
  /** Milliseconds the split into buckets and shares took, on the thread that did it (`--profile`'s dedup). */
  bucketMilliseconds: number;
}

/** Whether a piece came with its ids in shares. */
export function isBucketed(file: object): file is BucketedFile {
  return 'idShares' in file;
}

/**
 * An expanded piece with its ids split into `buckets` and shared out among `lanes` (contiguous ranges
 * of buckets, `bucketsOfLane`), each share a buffer of its own (to transfer to its lane's thread); a
 * single lane takes the id columns as they are.
 *
 * @example
 * const { idShares } = bucketFile(expanded, 64, 2); // idShares.length === 2
 */
export function bucketFile(file: ExpandedFile, buckets: number, lanes: number): BucketedFile {
  const started = performance.now();
  if (lanes === 1) {
    const { rows, idBytes, idOffsets, idHashes } = file;
    return { ...withoutIds(file), idShares: [{ rows, idBytes, idOffsets, idHashes }], bucketMilliseconds: performance.now() - started };
  }
  const { bytes, ranges } = splitIds([file], buckets);
  const idShares = Array.from({ length: lanes }, (_, lane) => {
    const [first, end] = bucketsOfLane(lane, lanes, buckets);
    return first === end ? new Uint8Array(0) : bytes.slice(ranges[2 * first]!, ranges[2 * (end - 1) + 1]!);
  });
  return { ...withoutIds(file), idShares, bucketMilliseconds: performance.now() - started };
}

/**
 * A piece's counting columns split into `shards` by a hash of the user (`rowsInShards`), so that each
 * shard of its partition is counted on a thread of its own; its own per-row columns emptied (the
 * shards hold them), its line numbers kept for the report.
 *
 * @example
 * const sharded = shardCounting(bucketFile(expanded, 64, 1), 2); // sharded.countShards!.length === 2
 */
export function shardCounting(file: BucketedFile, shards: number): BucketedFile {
  // Each emptied column a buffer of its own: a transfer list may name a buffer only once.
  const none = () => new Int32Array(0);
  const noBytes = () => new Uint8Array(0);
  return {
    ...file, countShards: rowsInShards(file, shards),
    type: none(), domain: { codes: none(), values: [] }, country: { codes: none(), values: [] },
    userIdBytes: noBytes(), userIdOffsets: Int32Array.of(0), userIdHashes: none(), userIdNull: noBytes(), consent: noBytes(),
  };
}

/** The buffers of a piece's count shards, to transfer with it. */
export function countShardBuffers(file: BucketedFile): ArrayBuffer[] {
  return (file.countShards ?? []).flatMap(shardBuffers);
}

/** The buffers of one count shard of a piece, to transfer it. */
export function shardBuffers({ rows, picked }: { rows: RowPart; picked?: Int32Array }): ArrayBuffer[] {
  return [rows.type, rows.domain.codes, rows.country.codes, rows.userIdBytes, rows.userIdOffsets, rows.userIdHashes, rows.userIdNull, rows.consent, ...(picked ? [picked] : [])]
    .map((array) => array.buffer as ArrayBuffer);
}

/**
 * What a lane is asked: the shares of one partition's pieces, in order, for lane `lane`; its options
 * (`lookback`, `reserve`: ids to make room for) count only when it starts.
 */
export interface DedupRequest {
  lane: number;
  shares: IdShare[];
  hour: number;
  lookback?: number;
  reserve?: number;
  /** Per piece, each row's latest kept copy in partitions the lane does not hold (`DedupLane.take`). */
  earlierHours?: (Int32Array | undefined)[];
}

/** Per piece, the rows the lane found losing; and the milliseconds it took. */
export interface DedupResult {
  losers: Int32Array[];
  milliseconds: number;
}

/**
 * A run's dedup lanes on one thread, by lane number: made at a lane's first request, kept for the
 * thread's life (a run's pool owns its threads, so a lane lives exactly as long as its run).
 *
 * @example
 * const lanes = new LaneTable();
 * const { losers } = lanes.take({ lane: 0, shares, hour });
 */
export class LaneTable {
  private readonly lanes = new Map<number, DedupLane>();

  take({ lane, shares, hour, lookback, reserve, earlierHours }: DedupRequest): DedupResult {
    const started = performance.now();
    let set = this.lanes.get(lane);
    if (!set) this.lanes.set(lane, (set = new DedupLane({ lookback, reserve })));
    return { losers: set.take(shares, hour, undefined, earlierHours), milliseconds: performance.now() - started };
  }
}

/** The lanes of the thread this module runs on (a run's worker thread). */
const threadLanes = new LaneTable();

/** {@link LaneTable.take} as a worker thread's request handler. */
export const dedupHandler: WorkerHandler = async (request) => {
  const result = threadLanes.take(request as unknown as DedupRequest);
  return { result, transfer: result.losers.map((losers) => losers.buffer as ArrayBuffer) };
};
