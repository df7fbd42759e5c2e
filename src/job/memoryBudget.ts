// A run's memory budget (`memory`, `--memory`): what the run may hold, how much of it is fixed, whether
// the data fits in an in-process run, and how large a memory-bounded run's tasks may be.
import { readFileSync } from 'node:fs';
import { availableParallelism, totalmem } from 'node:os';
import { OptionError } from '../errors.ts';
import { DEFAULT_SPLIT_BYTES } from '../read/planSplits.ts';
import { formatBytes } from '../report/RunReport.ts';
import type { Source } from '../source/Source.ts';

const MiB = 2 ** 20;

/**
 * What a run takes before its data: Node, Arrow, Arquero, parquet-wasm and the WebAssembly modules
 * (measured 81 MiB), with a margin. Part of what the budget must leave room for.
 */
export const FIXED_BYTES = 96 * MiB;
/** What each worker thread adds before its data (measured ~8 MiB), with a margin. */
export const THREAD_BYTES = 12 * MiB;
/** The least a task of a memory-bounded run works in: its splits, buckets and shards shrink to fit, down to this. */
const MIN_TASK_BYTES = 48 * MiB;
/** What a memory-bounded run's main thread keeps for the output: a batch of metrics, the Parquet writer, the metrics handed back. */
const MIN_OUTPUT_BYTES = 32 * MiB;
/** The share of the machine's (or container's) memory a run may use when not told: DuckDB's default. */
export const DEFAULT_MEMORY_SHARE = 0.8;

/**
 * The smallest budget a run accepts: the fixed overhead of one worker thread, one task's least and the output's.
 *
 * @example
 * MIN_MEMORY === 188 * 2 ** 20; // true
 */
export const MIN_MEMORY = FIXED_BYTES + THREAD_BYTES + MIN_TASK_BYTES + MIN_OUTPUT_BYTES;

const UNITS: Record<string, number> = { b: 1, kb: 1e3, mb: 1e6, gb: 1e9, tb: 1e12, kib: 2 ** 10, mib: 2 ** 20, gib: 2 ** 30, tib: 2 ** 40 };

/**
 * Bytes from a size as people write it: `512MiB`, `4GB`, `1.5 GiB`, `300000000` (bytes). KB, MB, GB
 * are powers of 1000; KiB, MiB, GiB powers of 1024. Throws an OptionError naming `option` otherwise.
 *
 * @example
 * parseSize('512MiB', 'memory (--memory)'); // 536870912
 */
export function parseSize(size: number | string, option: string): number {
  if (typeof size === 'number') {
    if (Number.isFinite(size) && size > 0) return Math.floor(size);
  } else {
    const match = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(size);
    const unit = match && UNITS[(match[2] || 'b').toLowerCase()];
    if (match && unit && Number(match[1]) > 0) return Math.floor(Number(match[1]) * unit);
  }
  throw new OptionError(`${option} must be a size such as 512MiB, 4GB or a number of bytes, got ${JSON.stringify(size)}`);
}

/**
 * The memory this process may use: the machine's, or its container's limit when lower (cgroup v2
 * `memory.max`, or v1 `memory.limit_in_bytes`). `read` is for tests.
 *
 * @example
 * availableMemory(); // 25276194816 on a 24 GiB machine without a limit
 */
export function availableMemory(read: (path: string) => string = (path) => readFileSync(path, 'utf8')): number {
  let limit = totalmem();
  for (const path of ['/sys/fs/cgroup/memory.max', '/sys/fs/cgroup/memory/memory.limit_in_bytes']) {
    try {
      const value = Number(read(path).trim()); // 'max' (no limit) is NaN
      if (Number.isFinite(value) && value > 0) limit = Math.min(limit, value);
    } catch {
      // not this cgroup version, or not Linux
    }
  }
  return limit;
}

/**
 * The budget of a run: `memory` as given (bytes or a size such as `'4GiB'`), else
 * {@link DEFAULT_MEMORY_SHARE} of {@link availableMemory} (at least {@link MIN_MEMORY}). A budget
 * given below {@link MIN_MEMORY} is refused with one line.
 *
 * @example
 * memoryBudget('512MiB'); // 536870912
 */
export function memoryBudget(memory: number | string | undefined, available = availableMemory): number {
  // A default below the least (a container of under ~235 MiB) is taken as the least: small runs still fit.
  if (memory === undefined) return Math.max(MIN_MEMORY, Math.floor(DEFAULT_MEMORY_SHARE * available()));
  const budget = parseSize(memory, 'memory (--memory)');
  if (budget < MIN_MEMORY) {
    throw new OptionError(`memory (--memory) ${formatBytes(budget)} is below what a run needs before its data: ${formatBytes(MIN_MEMORY)} (the runtime and its modules ${formatBytes(FIXED_BYTES)}, a thread ${formatBytes(THREAD_BYTES)}, the least a task and the output work in)`);
  }
  return budget;
}

/**
 * What an in-process run of this input is expected to hold at its peak: the fixed part, each id of the
 * run (~0.2 bytes for each byte of JSON: an id's ~70 bytes for ~350 of event), and the partitions in
 * flight (each ~0.7 of its bytes while read and counted; up to two per thread and two more). Gzip
 * files are counted at {@link GZIP_RATIO} their size. On the bench data: 2M events 338 MiB measured
 * (374 expected), 20M 1.41 GiB (1.44), a 50M-event hour 12 GiB (15.6).
 *
 * @example
 * inProcessPeak({ bytes: 6.6e9, largestPartition: 28e6, partitions: 240, threads: 2 }); // ~1.5e9
 */
export function inProcessPeak({ bytes, largestPartition, partitions, threads }: { bytes: number; largestPartition: number; partitions: number; threads: number }): number {
  const inFlight = Math.min(partitions, 2 * threads + 2);
  return FIXED_BYTES + threads * THREAD_BYTES + IDS_PER_INPUT_BYTE * bytes + PARTITION_PER_INPUT_BYTE * inFlight * largestPartition;
}

/**
 * The bytes of JSON `keys` hold, as far as the listing tells: gzip files (by name) at
 * {@link GZIP_RATIO} their size; undefined when the source lists no size for one of them.
 *
 * @example
 * jsonBytesOf(source, ['datehour=2021-01-23-10/part-0.json.gz']); // 8x its size
 */
export function jsonBytesOf(source: Source, keys: readonly string[]): number | undefined {
  let sum = 0;
  for (const key of keys) {
    const size = source.sizeOf?.(key);
    if (size === undefined) return undefined;
    sum += /\.gz$/i.test(key) ? size * GZIP_RATIO : size;
  }
  return sum;
}

const IDS_PER_INPUT_BYTE = 0.2;
const PARTITION_PER_INPUT_BYTE = 0.7;
/** How many bytes of JSON a byte of gzip file is taken for, when sizing a run (JSON Lines compresses ~5-10x). */
export const GZIP_RATIO = 8;

/**
 * How large a memory-bounded run's tasks may be. Each holds, at its peak, about what a queued worker's
 * task held at the queue's sizes ({@link QUEUE_TASK_SIZES}, ~256 MiB of work) scaled to its share.
 *
 * @example
 * const sizes: TaskSizes = { splitBytes: 64 * 2 ** 20, bucketBytes: 120 * 2 ** 20, countShardBytes: 180 * 2 ** 20 };
 */
export interface TaskSizes {
  /** Input bytes one read task reads at most (a run of one partition's splits). */
  splitBytes: number;
  /** Input bytes whose ids one dedup task's bucket holds. */
  bucketBytes: number;
  /** Input bytes one count task counts at most. */
  countShardBytes: number;
}

/** A queued run's task sizes: what a worker process of ~360 MiB at its peak (a 50M-event hour) holds. */
export const QUEUE_TASK_SIZES: TaskSizes = { splitBytes: DEFAULT_SPLIT_BYTES, bucketBytes: 176 * MiB, countShardBytes: 256 * MiB };
/** The work a task at {@link QUEUE_TASK_SIZES} holds at its peak, above the fixed part. */
const QUEUE_TASK_BYTES = 256 * MiB;

/**
 * A memory-bounded run's shape under `budget`: its threads (at most `cores`, fewer when the budget
 * cannot give each a task's least), each task's sizes, and what the output keeps.
 *
 * @example
 * boundedPlan(512 * 2 ** 20, 2); // { threads: 2, sizes: { splitBytes: 64 MiB, ... }, outputBytes: 32 MiB }
 */
export function boundedPlan(budget: number, cores = availableParallelism()): { threads: number; sizes: TaskSizes; outputBytes: number } {
  const outputBytes = Math.max(MIN_OUTPUT_BYTES, Math.floor(budget / 16));
  const forTasks = budget - FIXED_BYTES - outputBytes;
  const threads = Math.max(1, Math.min(cores, Math.floor(forTasks / (THREAD_BYTES + MIN_TASK_BYTES))));
  const scale = Math.min(1, (forTasks / threads - THREAD_BYTES) / QUEUE_TASK_BYTES);
  const { splitBytes, bucketBytes, countShardBytes } = QUEUE_TASK_SIZES;
  return {
    threads,
    sizes: {
      // A power of two: splits of a file are equal ranges of it.
      splitBytes: Math.max(4 * MiB, 2 ** Math.floor(Math.log2(splitBytes * scale))),
      bucketBytes: Math.max(8 * MiB, Math.floor(bucketBytes * scale)),
      countShardBytes: Math.max(16 * MiB, Math.floor(countShardBytes * scale)),
    },
    outputBytes,
  };
}
