import { closeSync, openSync, readSync } from 'node:fs';
import { Buffer } from 'node:buffer';
import { ConsentMetricsError } from '../errors.ts';
import type { Source } from '../source/Source.ts';
import { isGzip } from './gunzipIfNeeded.ts';
import type { ByteRange } from './parseLocalFile.ts';

/**
 * Bytes of an uncompressed file one split reads, by default: Spark's `maxPartitionBytes`. A split is
 * a parser thread's unit of work: large enough that its fixed cost (a message, a parser, its columns
 * posted back) is a small share of its parse, small enough that an hour makes many splits for the
 * cores to share and that a split's columns waiting to be taken stay small (docs/performance.md).
 */
export const DEFAULT_SPLIT_BYTES = 128 * 2 ** 20;

/**
 * One unit of reading: a whole file, or (`range`) the lines that start in a byte range of one.
 *
 * @example
 * const split: FileSplit = { key: 'datehour=2021-01-23-10/part-0.json', range: { start: 0, end: 134217728 } };
 */
export interface FileSplit {
  key: string;
  /** Undefined: the whole file (gzip, remote, or no larger than a split). */
  range?: ByteRange;
}

/**
 * The splits of a partition's files, in key order then byte order: a local uncompressed file larger
 * than `splitBytes` becomes ceil(size / splitBytes) ranges of equal size (cut at line boundaries when
 * read; the last one open-ended); gzip files, remote objects and smaller files stay whole.
 *
 * @example
 * splitsOf(source, keys, 64 << 20); // [{ key: 'a.json', range: { start: 0, end: 67108864 } }, ...]
 */
export function splitsOf(source: Source, keys: readonly string[], splitBytes = DEFAULT_SPLIT_BYTES): FileSplit[] {
  validateSplitBytes(splitBytes);
  return keys.flatMap((key): FileSplit[] => {
    const size = source.sizeOf?.(key);
    if (!source.localPath || size === undefined || size <= splitBytes || isGzipFile(source.localPath(key))) return [{ key }];
    const count = Math.ceil(size / splitBytes);
    // The last split reads to the file's end as it is when read, as a whole file's read does.
    const at = (index: number) => (index === count ? Infinity : Math.floor((size * index) / count));
    return Array.from({ length: count }, (_, index) => ({ key, range: { start: at(index), end: at(index + 1) } }));
  });
}

/**
 * The splits of a partition in units of work: each split alone, but runs of small local files (under
 * `splitBytes / 32`, 4 MiB by default), up to `splitBytes / 4` and {@link FILES_PER_UNIT} files
 * together: such a file parses in about what a unit's message, parser set-up and reply cost (Spark
 * packs files up to `maxPartitionBytes` likewise). Remote objects stay alone: each is fetched beside
 * the others.
 *
 * @example
 * unitsOf(source, splitsOf(source, keys)); // [[tiny-0, tiny-1, tiny-2], [large split 0], [large split 1]]
 */
export function unitsOf(source: Source, splits: readonly FileSplit[], splitBytes = DEFAULT_SPLIT_BYTES): FileSplit[][] {
  const sizeOf = (split: FileSplit) => (split.range ? undefined : source.sizeOf?.(split.key));
  const alone = (split: FileSplit) => {
    const size = sizeOf(split);
    return !source.localPath || size === undefined || size >= splitBytes / 32;
  };
  return packed(splits, splitBytes / 4, (split) => sizeOf(split)!, alone);
}

/**
 * A partition's splits (in order) in runs of at most `bytes` listed bytes and {@link FILES_PER_UNIT}
 * splits, each run at least one split: a queued run's read tasks, each a BullMQ job whose own cost
 * (~10 ms of both the run's and a worker's CPU) wants more bytes than a thread's unit. A split of
 * unknown size is a run of its own.
 *
 * @example
 * runsOf(source, splitsOf(source, keys), 128 << 20); // [[part-0, part-1], [part-2 bytes 0-128M], ...]
 */
export function runsOf(source: Source, splits: readonly FileSplit[], bytes: number): FileSplit[][] {
  return packed(splits, bytes, (split) => sizeOfSplit(source, split));
}

/**
 * Splits in order, packed into runs of at most `bytes` (by `sizeOf`) and {@link FILES_PER_UNIT} splits, each
 * at least one; a split `alone` says is a run of its own.
 */
function packed(splits: readonly FileSplit[], bytes: number, sizeOf: (split: FileSplit) => number, alone: (split: FileSplit) => boolean = () => false): FileSplit[][] {
  const runs: FileSplit[][] = [];
  let run: FileSplit[] = [];
  let runBytes = 0;
  const close = () => {
    if (run.length > 0) runs.push(run);
    (run = []), (runBytes = 0);
  };
  for (const split of splits) {
    if (alone(split)) {
      close();
      runs.push([split]);
      continue;
    }
    const size = sizeOf(split);
    if (run.length > 0 && (runBytes + size > bytes || run.length === FILES_PER_UNIT)) close();
    run.push(split);
    runBytes += size;
  }
  close();
  return runs;
}

/** The bytes a split reads, as listed (Infinity when the source lists no size). */
function sizeOfSplit(source: Source, { key, range }: FileSplit): number {
  const size = source.sizeOf?.(key) ?? Infinity;
  return range ? Math.min(range.end, size) - range.start : size;
}

/** Small files read in one unit at most: a unit's reply carries each file's columns. */
const FILES_PER_UNIT = 256;

/** Whether a local file starts with gzip's magic bytes (one that cannot be opened is left whole, to fail when read). */
function isGzipFile(path: string): boolean {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return true;
  }
  try {
    const head = Buffer.alloc(2);
    return isGzip(head.subarray(0, readSync(fd, head, 0, 2, 0)));
  } finally {
    closeSync(fd);
  }
}

/** Throws, quoting the bad value, unless `splitBytes` is a whole number from 1. */
export function validateSplitBytes(splitBytes: number): void {
  if (!Number.isInteger(splitBytes) || splitBytes < 1) {
    throw new ConsentMetricsError(`splitBytes must be a whole number of bytes from 1, got ${JSON.stringify(splitBytes)}`);
  }
}

/**
 * Moves a split's line numbers from its own count to its file's: `lines` more, in the rows' `line`
 * column and in its examples (a split's lines are numbered from 1 until the splits before it are read).
 *
 * @example
 * shiftLines(second, first.lineCount);
 */
export function shiftLines(file: { line: Int32Array; examples: { line: number }[] }, lines: number): void {
  if (lines === 0) return;
  const line = file.line;
  for (let row = 0; row < line.length; row++) line[row]! += lines;
  for (const problem of file.examples) problem.line += lines;
}
