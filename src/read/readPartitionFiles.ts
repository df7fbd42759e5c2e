import { availableParallelism } from 'node:os';
import pMap, { pMapIterable } from 'p-map';
import type { Table } from 'apache-arrow';
import { ConsentMetricsError } from '../errors.ts';
import type { Partition } from '../partitions/selectPartitions.ts';
import { StageTimes } from '../report/StageTimes.ts';
import { Tally } from '../report/Tally.ts';
import type { Source } from '../source/Source.ts';
import type { FileParserOptions, ParsedFile } from './ParsedFile.ts';
import { ParserPool } from './ParserPool.ts';
import { parseLocalFileHere } from './parseLocalFile.ts';
import { DEFAULT_SPLIT_BYTES, shiftLines, splitsOf, unitsOf, validateSplitBytes, type FileSplit } from './planSplits.ts';
import { parseStream } from './pushInBlocks.ts';
import { readAgainOnMismatch } from '../s3/checksumMismatch.ts';

export const DEFAULT_CONCURRENCY = 8;

/** Reads of a remote object on this thread whose body does not match its checksum (a client given ready-made: its attempts are its own). */
const REMOTE_READS = 5;

/** Objects read ahead of the one being taken, from a remote source, per object in flight. */
const REMOTE_READ_AHEAD = 4;

/** Parser threads at most by default: the machine's cores, at most 8. */
export function defaultWorkers(): number {
  return Math.min(availableParallelism(), 8);
}

/**
 * Local bytes that pay for a parser thread. A thread takes ~50 ms of CPU to start, and the main
 * thread needs a core of its own to deduplicate and count: on 2 cores, one thread parsed up to 120 MB
 * faster than two (30 MB: 0.33 against 0.36 s), as fast at 184 MB, slower from 306 MB on
 * (docs/performance.md).
 */
export const BYTES_PER_PARSER_THREAD = 128 * 2 ** 20;

/**
 * The parser threads for `bytes` of local files when the caller did not say: one per
 * {@link BYTES_PER_PARSER_THREAD}, at least one, at most {@link defaultWorkers}; unknown sizes take the most.
 */
export function threadsToParse(bytes: number | undefined): number {
  if (bytes === undefined) return defaultWorkers();
  return Math.max(1, Math.min(defaultWorkers(), Math.ceil(bytes / BYTES_PER_PARSER_THREAD)));
}

/**
 * A run's pool of parser threads (`entry` its worker script, `parseFields` what its parse requests
 * carry for it, from the threads running), or null when none can read `source` or `workers` is 0. Local files start one thread: the read starts more once it knows the bytes listed.
 */
export function parserPoolFor(source: Source, workers: number | undefined, entry: URL, parseFields: (threads: number) => Record<string, unknown> = () => ({})): ParserPool | null {
  if (!threadsCanRead(source) || workers === 0) return null;
  return new ParserPool(workers ?? defaultWorkers(), entry, workers ?? (source.localPath ? 1 : undefined), parseFields);
}

/**
 * How partitions are read: concurrency, strictness and parser threads.
 *
 * @example
 * readPartitions(source, partitions, { concurrency: 16, strict: true, workers: 0 });
 */
export interface ReadOptions {
  /**
   * Files (and listings) in flight at once, across partitions. Default: 8; S3 objects fetched by worker
   * threads, as many as the threads take at once (4 each), at least 8.
   */
  concurrency?: number;
  /** Fail on the first rejected line instead of counting it. Default: false. */
  strict?: boolean;
  /**
   * Worker threads reading and parsing files: local files, and S3 objects each thread fetches with a
   * client of its own (made from the settings of the source's client, when `createS3Client` made it).
   * Default: local files, one per 128 MiB listed; S3 objects, the machine's
   * cores; at most 8. 0 parses on the calling thread, as it does the objects of a client given ready-made.
   */
  workers?: number;
  /** Stage times to add this read's to: `parse` (summed over the parsing threads) and `assemble`. Default: none kept. */
  times?: StageTimes;
  /**
   * Bytes of a local uncompressed file one split reads: a larger file is read as byte ranges cut at line
   * boundaries, each a unit of work for the threads (see `splitsOf`). Default: 128 MiB.
   */
  splitBytes?: number;
}

/**
 * For callers that only need each token's consent (`expandFile`): files parsed on the calling thread
 * leave the tokens the scan judged undecoded, as the job's parser threads do. A worker process's read
 * task decoded every distinct token (~5k a file) into strings: 105 MB of heap allocations for 24
 * partitions, 27 MB without.
 */
export interface JudgeTokens {
  judgeTokens?: boolean;
  /** Keep each event's `datetime` (`ParsedFile.datetime`), on any thread: the events table needs it. Default: false. */
  datetime?: boolean;
  /**
   * How a split's line numbers move to its file's, for a pool whose threads post more than a
   * ParsedFile (a job's expanded files carry their tokens' examples too). Default: `shiftLines`.
   */
  shiftLines?: (file: ParsedFile, lines: number) => void;
  /**
   * More fields for the parse requests of a partition's files, from its listed bytes (a job asks its
   * threads to split a large partition's counting columns by user shard). Default: none.
   */
  parseFieldsFor?: (listedBytes: number | undefined) => Record<string, unknown>;
  /** Each partition's data files (`listDataFiles`), when the caller listed them already. Default: listed here. */
  listed?: readonly string[][];
}

/**
 * One partition's events as Arrow, with what was seen while reading them.
 *
 * @example
 * const { partition, table, files, bytes, tally }: PartitionEvents = await readPartition(source, partitions[0]);
 */
export interface PartitionEvents {
  /** The partition read. */
  partition: Partition;
  /** Accepted events; see `partitionTable` for the columns. */
  table: Table;
  /** Files read. */
  files: number;
  /** Bytes read (decompressed). */
  bytes: number;
  /** Lines read and what was rejected, with examples, for this partition. */
  tally: Tally;
}

/**
 * One partition's files as parsed (columns per split, in key then byte order), before they make one table.
 *
 * @example
 * for await (const { partition, parsed } of readPartitionFiles(source, partitions)) console.log(partition.datehour, parsed.length);
 */
export interface PartitionFiles extends Omit<PartitionEvents, 'table'> {
  /** Each split's columns (a file's, for a file read whole), in key then byte order, line numbers the file's. */
  parsed: ParsedFile[];
  /** The bytes of this partition's files as listed (compressed, for gzip), when the source lists sizes. */
  listedBytes?: number;
  /** The same over every partition of the read. */
  runListedBytes?: number;
}

/**
 * Reads partitions one after another in datehour order, yielding each partition's parsed files as
 * soon as they are read (`readPartitions` makes each one table). Files of all partitions are read
 * under one `concurrency` bound (the next partition's files start while this one's finish), parsed
 * by worker threads where they are local, and only a bounded number of read-ahead files wait in
 * memory, so memory follows the largest partition, not the whole run. Files whose names start with
 * `_` or `.` (`_SUCCESS`, `.crc`) are not read.
 *
 * `pool`, when given, parses local files instead of a pool of `workers` made (and closed) by the read.
 *
 * @example
 * for await (const { partition, parsed, tally } of readPartitionFiles(source, partitions, {}, pool)) console.log(partition.datehour);
 */
export async function* readPartitionFiles(
  source: Source,
  partitions: readonly Partition[],
  { concurrency: filesAtOnce, strict = false, workers, times = new StageTimes(), judgeTokens = false, datetime = false, splitBytes = DEFAULT_SPLIT_BYTES, shiftLines: shift = shiftLines, parseFieldsFor, listed: given }: ReadOptions & JudgeTokens = {},
  pool?: ParserPool,
): AsyncGenerator<PartitionFiles> {
  if (filesAtOnce !== undefined) validateConcurrency(filesAtOnce);
  validateSplitBytes(splitBytes);
  if (partitions.length === 0) return; // no threads started for nothing
  const listed = given ? partitions.map((partition, index) => ({ partition, keys: [...given[index]!] }))
    : await pMap(partitions, async (partition) => ({ partition, keys: await listDataFiles(source, partition) }), { concurrency: filesAtOnce ?? DEFAULT_CONCURRENCY });

  const listedBytes = listed.map(({ keys }) => sumOfSizes(source, keys));
  const runListedBytes = sumOfSizes(source, listed.flatMap(({ keys }) => keys));
  // Local files: threads as the bytes need them, unless the caller said how many.
  const threads = workers ?? (source.localPath ? threadsToParse(runListedBytes) : defaultWorkers());
  pool?.grow(threads);
  const parsers = !threadsCanRead(source) ? null : pool ?? (threads > 0 ? new ParserPool(threads) : null);
  if (parsers) times.besideMainThread.add('parse');
  const concurrency = filesAtOnce ?? (parsers && !source.localPath ? Math.max(DEFAULT_CONCURRENCY, parsers.remoteCapacity) : DEFAULT_CONCURRENCY);
  const parseUnit = unitParser(source, parsers, { judgeTokens, datetime });
  try {
    // Files are taken in key order; a remote object that stalls must not stop the others, so remote
    // reads run further ahead (objects, not bytes: an object waiting is its parsed columns, a third of
    // its size, and partitions hold objects of similar sizes).
    const backpressure = source.localPath ? concurrency : concurrency * REMOTE_READ_AHEAD;
    const splits = listed.map(({ keys }) => splitsOf(source, keys, splitBytes));
    const units = splits.map((partitionSplits) => unitsOf(source, partitionSplits, splitBytes));
    const fieldsOf = listedBytes.map((bytes) => parseFieldsFor?.(bytes) ?? {});
    const partitionUnits = units.flatMap((ofPartition, index) => ofPartition.map((unit) => ({ unit, fields: fieldsOf[index]! })));
    const iterator = pMapIterable(partitionUnits, ({ unit, fields }) => parseUnit(unit, fields), { concurrency, backpressure })[Symbol.asyncIterator]();
    let waiting: ParsedFile[] = []; // the rest of the unit last taken
    for (const [index, { partition, keys }] of listed.entries()) {
      const tally = new Tally(strict);
      const parsed: ParsedFile[] = [];
      // Exactly this partition's splits: it is yielded before a later split's failure is awaited.
      let linesBefore = 0; // in the file, before this split
      for (const [at, split] of splits[index]!.entries()) {
        if (waiting.length === 0) waiting = (await iterator.next()).value!;
        const next = waiting.shift()!;
        if (at > 0 && splits[index]![at - 1]!.key === split.key) shift(next, linesBefore);
        else linesBefore = 0;
        linesBefore += next.lineCount;
        tally.merge(next);
        parsed.push(next);
      }
      const bytes = parsed.reduce((sum, file) => sum + file.bytes, 0);
      for (const file of parsed) times.milliseconds.parse += file.parseMilliseconds;
      yield { partition, parsed, files: keys.length, bytes, tally, listedBytes: listedBytes[index], runListedBytes };
    }
  } finally {
    if (parsers !== pool) await parsers?.close();
  }
}

/**
 * How a unit of splits (`unitsOf`) is parsed: on `parsers`' threads (a group of small local files in
 * one message, `fields` added to the request), or on this thread when there are none; remote objects'
 * retries are added to the source's.
 */
function unitParser(source: Source, parsers: ParserPool | null, options: FileParserOptions): (unit: FileSplit[], fields?: Record<string, unknown>) => Promise<ParsedFile[]> {
  const parse = async ({ key, range }: FileSplit, given: Record<string, unknown>): Promise<ParsedFile> => {
    if (!parsers) {
      return source.localPath ? parseLocalFileHere(source.localPath(key), source.describe(key), options, range)
        : readAgainOnMismatch(REMOTE_READS, () => parseStream(() => source.open(key), source.describe(key), source.sizeOf?.(key), options));
    }
    const fields = options.datetime ? { ...given, datetime: true } : given;
    if (source.localPath) return parsers.parse(source.localPath(key), source.describe(key), range, fields);
    const { retries, ...parsed } = await parsers.parseRemote(source.remote!(key), source.describe(key), fields);
    await source.addRetries?.(retries);
    return parsed;
  };
  return async (unit, fields = {}) => {
    if (unit.length === 1) return [await parse(unit[0]!, fields)];
    if (parsers) return parsers.parseGroup(unit.map(({ key, range }) => ({ path: source.localPath!(key), describe: source.describe(key), range })), options.datetime ? { ...fields, datetime: true } : fields);
    const parsed: ParsedFile[] = [];
    for (const split of unit) parsed.push(await parse(split, fields));
    return parsed;
  };
}

/**
 * Some splits of one partition, read apart from the rest of it (a queued run's read task): each
 * split's columns in order, a later split of a file numbering its lines after the earlier ones here.
 * The first split of a file here numbers its lines from 1 when it does not start the file: `lines`
 * says how many lines each file's splits here hold, for the caller to move them on.
 * `pool` parses them, or (none given) `workers` threads made for this read, or this thread.
 *
 * @example
 * const { parsed, lines } = await readSplits(source, [{ key, range: { start: 134217728, end: Infinity } }]);
 */
export async function readSplits(
  source: Source, splits: readonly FileSplit[], { concurrency = DEFAULT_CONCURRENCY, workers = 0, judgeTokens = false, datetime = false, splitBytes = DEFAULT_SPLIT_BYTES, shiftLines: shift = shiftLines }: ReadOptions & JudgeTokens = {},
  pool?: ParserPool,
): Promise<{ parsed: ParsedFile[]; lines: { file: string; lines: number }[] }> {
  validateConcurrency(concurrency);
  const parsers = !threadsCanRead(source) ? null : pool ?? (workers > 0 ? new ParserPool(workers) : null);
  try {
    const parseUnit = unitParser(source, parsers, { judgeTokens, datetime });
    const units = await pMap(unitsOf(source, splits, splitBytes), (unit) => parseUnit(unit), { concurrency });
    const parsed = units.flat();
    const lines: { file: string; lines: number }[] = [];
    parsed.forEach((file, at) => {
      const last = lines.at(-1);
      if (at > 0 && splits[at - 1]!.key === splits[at]!.key) {
        shift(file, last!.lines);
        last!.lines += file.lineCount;
      } else {
        lines.push({ file: file.file, lines: file.lineCount });
      }
    });
    return { parsed, lines };
  } finally {
    if (parsers !== pool) await parsers?.close();
  }
}

/** The listed sizes of `keys` added up; undefined unless the source gave every one. */
export function sumOfSizes(source: Source, keys: readonly string[]): number | undefined {
  let sum = 0;
  for (const key of keys) {
    const size = source.sizeOf?.(key);
    if (size === undefined) return undefined;
    sum += size;
  }
  return sum;
}

/** Whether worker threads can read a source's files themselves: local files, or S3 objects they fetch with a client of their own. */
export function threadsCanRead(source: Source): boolean {
  return source.localPath !== undefined || source.remote !== undefined;
}

/**
 * A partition's data files: its files but those whose names start with `_` or `.`.
 *
 * @example
 * const keys = await listDataFiles(source, partition); // no _SUCCESS
 */
export async function listDataFiles(source: Source, partition: Partition): Promise<string[]> {
  return (await source.listFiles(partition.key)).filter((key) => !isHiddenName(key.slice(key.lastIndexOf('/') + 1)));
}

/** `_SUCCESS` markers, `.crc` checksums and other hidden files are not data. */
export function isHiddenName(name: string): boolean {
  return name.startsWith('_') || name.startsWith('.');
}

/** Throws, quoting the bad value, unless `concurrency` is a whole number from 1. */
export function validateConcurrency(concurrency: number): void {
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new ConsentMetricsError(`concurrency must be a whole number from 1, got ${JSON.stringify(concurrency)}`);
  }
}
