// What a run's worker thread answers: parse (and judge tokens, and split ids into lane shares when
// asked), deduplicate a lane, count a partition.
import type { TokenFacts } from '../expand/parseToken.ts';
import { marksOf, shareBuffers } from '../metrics/DedupLane.ts';
import type { ParsedFile } from '../read/ParsedFile.ts';
import { parseHandler, type WorkerHandler } from '../read/workerProtocol.ts';
import { countingBuffers, countPartition, expandFile, type CountingFile, type ExpandedFile, type PartitionCounts } from './countPartition.ts';
import { bucketFile, countShardBuffers, dedupHandler, shardCounting } from './dedupLanes.ts';
import { countShardOfPieces, type RowPart } from '../metrics/countRows.ts';
import type { Grouping } from '../metrics/grouping.ts';
import { StageTimes } from '../report/StageTimes.ts';
import type { TokenReading } from '../expand/eventsTable.ts';
import type { CompressionName } from '../write/compressions.ts';
import type { Task } from './tasks/taskTypes.ts';

/** Token facts a worker thread keeps between the files it expands. */
const workerTokenCache = new Map<string, TokenFacts>();

/**
 * Parsing, then `expandFile`, as a worker thread's request handler; with `idBuckets` and `idLanes` in
 * the request, the ids come split into one share per lane (`bucketFile`), not as columns.
 */
export const parseAndExpandHandler: WorkerHandler = async (request) => {
  if (request.datetime === true) return parseHandler(request); // the events table: files as parsed, tokens as texts
  // A breakdown reads every token's lists: its tokens are decoded, not judged, and kept.
  const keepTokens = request.keepTokens === true;
  const expanded = expandFile((await parseHandler({ ...request, judgeTokens: !keepTokens })).result as ParsedFile, workerTokenCache, { keepTokens });
  const { idBuckets, idLanes, countShards = 1 } = request as { idBuckets?: number; idLanes?: number; countShards?: number };
  if (idBuckets !== undefined && idLanes !== undefined) {
    const bucketed = countShards > 1 ? shardCounting(bucketFile(expanded, idBuckets, idLanes), countShards) : bucketFile(expanded, idBuckets, idLanes);
    return { result: bucketed, transfer: [...countingBuffers(bucketed), ...countShardBuffers(bucketed), ...bucketed.idShares.flatMap(shareBuffers)] };
  }
  return { result: expanded, transfer: expandedBuffers(expanded) };
};
parseAndExpandHandler.concurrent = parseHandler.concurrent;

/** The buffers of an expanded file, to transfer to the thread that deduplicates. */
function expandedBuffers(file: ExpandedFile): ArrayBuffer[] {
  return [...countingBuffers(file), ...[file.idBytes, file.idOffsets, file.idHashes].map((array) => array.buffer as ArrayBuffer)];
}

/**
 * `countPartition` as a worker thread's request handler, the rows left out given as `losers` per lane
 * and piece (what the dedup lanes found).
 */
export const countHandler: WorkerHandler = async (request) => {
  const { datehour, files, losers, grouping } = request as unknown as { datehour: string; files: CountingFile[]; losers: Int32Array[][]; grouping?: Grouping };
  const result = countPartition(datehour, files, marksOf(files.map((file) => file.rows), losers), grouping);
  const { domainCodes, countryCodes, n, users } = result.counts;
  const breakdown = result.breakdown;
  const breakdownArrays = breakdown ? [breakdown.domain.codes, breakdown.country.codes, breakdown.type, breakdown.name.codes, breakdown.events, breakdown.enabled, breakdown.disabled] : [];
  return { result, transfer: [domainCodes, countryCodes, n, users, ...breakdownArrays].map((array) => array.buffer as ArrayBuffer) };
};

/**
 * One shard of a partition counted (`countShardOfPieces`): its pieces' rows of that shard (`parts`, each
 * with `picked`, the rows' places in their piece of `pieceRows` rows), less the rows the lanes found
 * losing (`losers`, per lane and piece).
 */
export const countShardHandler: WorkerHandler = async (request) => {
  const { datehour, parts, picked, losers, pieceRows } = request as unknown as { datehour: string; parts: RowPart[]; picked: Int32Array[]; losers: Int32Array[][]; pieceRows: number[] };
  const times = new StageTimes();
  const counts = times.measure('count', () => countShardOfPieces(datehour, parts, picked, parts.map((_, piece) => losers.map((lane) => lane[piece]!)), pieceRows,
    (piece) => `the dedup lanes' losers of piece ${piece} are wrong`));
  const result: PartitionCounts = { counts, milliseconds: { count: times.milliseconds.count } };
  return { result, transfer: [counts.domainCodes, counts.countryCodes, counts.n, counts.users].map((array) => array.buffer as ArrayBuffer) };
};

/**
 * One partition's events (`buildEvents`), from its files as parsed and the rows `duplicates` marks: the
 * table as Arrow IPC stream bytes (or, with `parquet` a compression, a Parquet file's), its rows, and what
 * its tokens reported. Arrow loads only on the threads that build events.
 */
export const eventsHandler: WorkerHandler = async (request) => {
  const { datehour, files, duplicates, fileKeys, parquet } = request as unknown as { datehour: string; files: ParsedFile[]; duplicates: Uint8Array; fileKeys: string[]; parquet?: CompressionName };
  const [{ buildEvents }, { tableToIPC }] = await Promise.all([import('./buildEvents.ts'), import('apache-arrow')]);
  const keyOf = new Map(files.map((file, index) => [file.file, fileKeys[index]!]));
  const built = buildEvents(datehour, files, duplicates, { tokens: workerTokenReadings, fileKey: (file) => keyOf.get(file)!, parquet });
  const bytes = built.parquet ?? tableToIPC(built.events!, 'stream');
  return { result: { bytes, rows: built.rows, tokens: built.tokens }, transfer: [bytes.buffer as ArrayBuffer] };
};

/** Tokens a worker thread has read for events tables, kept between partitions (`buildEvents` bounds them). */
const workerTokenReadings = new Map<string, TokenReading>();

/** One task of a run (`runTask`), loaded only by the threads that run tasks. */
export const taskHandler: WorkerHandler = async (request) => {
  const { runTask } = await import('./tasks/tasks.ts');
  return { result: await runTask(request.task as Task), transfer: [] };
};

export { dedupHandler };
