import { readFileSync } from 'node:fs';
import { RETRY_KINDS, type RetryCounts } from '../s3/retryKinds.ts';
import type { Problem, RejectReason, TallyCounts } from './Tally.ts';

/**
 * What a run read and what it left out. Written by `--report` as JSON with exactly these keys.
 *
 * @example
 * const { report } = await runJob({ root: 'fixtures/example/input' });
 * report.events === report.lines - report.duplicates - report.rejected.invalid_json - report.rejected.missing_id - report.rejected.unknown_type; // true
 */
export interface RunReport {
  /** The input root, as given. */
  root: string;
  /** Datehours read, ascending. */
  partitions: string[];
  /** Files read (markers such as `_SUCCESS` and `.crc` files excluded). */
  files: number;
  /** Non-blank lines read. Blank lines count nowhere. */
  lines: number;
  /** Events in the metrics: lines - rejected - duplicates. */
  events: number;
  /** Valid events dropped because an earlier one had the same id. */
  duplicates: number;
  /** Lines left out of the metrics, by reason. */
  rejected: Record<RejectReason, number>;
  /** Lines whose token is not valid JSON (or not an object), duplicates included; their events are kept without consent. */
  invalid_tokens: number;
  /** The first few problems of each reason, with file and line. */
  examples: Problem[];
  /** Things skipped that are not lines, e.g. malformed partition folders. */
  warnings: string[];
  /** S3 requests and object bodies retried after a network fault, by kind (all 0 for local files). */
  retries: RetryCounts;
  /** With a state (`--state`): which partitions were read from raw input, recounted or reused, and why. */
  state?: StateReport;
  /** A run in this process (not with `--queue` or `--state`): its memory budget, what it saw at its peak, and what it kept on disk. */
  memory?: MemoryReport;
}

/**
 * What a run in this process did with its memory, in bytes.
 *
 * @example
 * const { budget, peak, spilled, read_back } = report.memory!; // spilled === 0: it fitted
 */
export interface MemoryReport {
  /** The budget (`--memory`, or its default). */
  budget: number;
  /** The process's peak resident memory when the run ended (its peak so far: in a process that ran more before, theirs too; Linux's VmHWM). */
  peak: number;
  /** Bytes written to the temporary folder (0 when the run fitted in memory). */
  spilled: number;
  /** Bytes read back from it; with a state, the earlier ids read again from the state (those not held). */
  read_back: number;
}

/**
 * What an incremental run did with each partition of its state.
 *
 * @example
 * const { read, recounted, reused, why } = report.state!; // why['2021-01-23-05'] === 'new'
 */
export interface StateReport {
  /** Datehours read from their raw files. */
  read: string[];
  /** Datehours counted again from the state's columns: after one read, a copy of an id may win elsewhere. */
  recounted: string[];
  /** Datehours taken as they were. */
  reused: string[];
  /** Datehours the state had whose folder is gone: dropped. */
  removed: string[];
  /** Why each read datehour was read: `new`, `files added`, `files replaced` or `files removed`. */
  why: Record<string, string>;
  /** The state's generation after the run. */
  generation: number;
}

/** A run's report from its counts and the tally of its lines (merged in datehour order). */
export function assembleReport({ tally, ...counts }: Omit<RunReport, 'lines' | 'rejected' | 'invalid_tokens' | 'examples'> & { tally: TallyCounts }): RunReport {
  const { root, partitions, files, events, duplicates, warnings, retries } = counts;
  return {
    root, partitions, files, lines: tally.lines, events, duplicates,
    rejected: tally.rejected, invalid_tokens: tally.invalidTokens, examples: tally.examples, warnings, retries,
  };
}

/**
 * The report in a few lines for a terminal.
 *
 * @example
 * console.error(summarizeReport(report));
 */
export function summarizeReport(report: RunReport): string {
  const { invalid_json, missing_id, unknown_type } = report.rejected;
  const lines = [
    `read ${report.partitions.length} partition(s), ${report.files} file(s), ${report.lines} line(s): ` +
      `${report.events} event(s), ${report.duplicates} duplicate(s) dropped`,
    `rejected: ${invalid_json} invalid JSON, ${missing_id} without id, ${unknown_type} of unknown type; ` +
      `${report.invalid_tokens} invalid token(s) kept without consent`,
    ...retriesLine(report.retries),
    ...stateLine(report.state),
    ...memoryLine(report.memory),
    ...report.examples.map((problem) => `  ${problem.file}:${problem.line}: ${problem.reason}: ${problem.detail}`),
    ...report.warnings.map((warning) => `warning: ${warning}`),
  ];
  return lines.join('\n');
}

/** `retried 3 S3 request(s): 2 throttled, 1 body_cut`, or nothing when there were none. */
function retriesLine(retries: RetryCounts): string[] {
  const kinds = RETRY_KINDS.filter((kind) => retries[kind] > 0);
  if (kinds.length === 0) return [];
  const total = kinds.reduce((sum, kind) => sum + retries[kind], 0);
  return [`retried ${total} S3 request(s) after network faults: ${kinds.map((kind) => `${retries[kind]} ${kind}`).join(', ')}`];
}

/**
 * A run's memory report now: `budget`, the process's peak so far, and the bytes it wrote to its
 * temporary folder and read back (`work`).
 *
 * @example
 * report.memory = memoryReport(budget, { written: 0, read: 0 });
 */
export function memoryReport(budget: number, { written, read }: { written: number; read: number }): MemoryReport {
  return { budget, peak: peakResident(), spilled: written, read_back: read };
}

/**
 * This process's peak resident memory, in bytes: Linux's `VmHWM`, its own since it started. Not
 * `getrusage`'s maxrss, which in a process started by a larger one (a test runner, a notebook) keeps
 * that one's size at the fork.
 */
function peakResident(): number {
  try {
    const kib = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
    if (kib !== undefined) return Number(kib) * 1024;
  } catch {
    // not Linux: getrusage's figure
  }
  return process.resourceUsage().maxRSS * 1024;
}

/** `memory: peak 402 MiB of a budget of 512 MiB; spilled 2.1 GiB ...` for a run that spilled or read back (`--profile` prints it for every run). */
function memoryLine(memory: MemoryReport | undefined): string[] {
  return memory && memory.spilled + memory.read_back > 0 ? [formatMemory(memory)] : [];
}

/**
 * A run's memory in one line.
 *
 * @example
 * formatMemory(report.memory!); // 'memory: peak 402 MiB of a budget of 512 MiB; spilled 2.1 GiB to the temporary folder, read back 2.3 GiB'
 */
export function formatMemory(memory: MemoryReport): string {
  const spilled = memory.spilled > 0 ? `; spilled ${formatBytes(memory.spilled)} to the temporary folder, read back ${formatBytes(memory.read_back)}`
    : memory.read_back > 0 ? `; nothing spilled, ${formatBytes(memory.read_back)} read back from the state` : '; nothing spilled';
  return `memory: peak ${formatBytes(memory.peak)} of a budget of ${formatBytes(memory.budget)}${spilled}`;
}

/**
 * A size for people: `512 MiB`, `1.5 GiB`.
 *
 * @example
 * formatBytes(536870912); // '512 MiB'
 */
export function formatBytes(bytes: number): string {
  const [unit, scale] = bytes >= 2 ** 30 ? ['GiB', 2 ** 30] : bytes >= 2 ** 20 ? ['MiB', 2 ** 20] : ['KiB', 2 ** 10];
  return `${Number((bytes / scale).toFixed(1))} ${unit}`;
}

/** `state: read 1 (2021-01-23-05 new), recounted 0, reused 23, generation 24`, or nothing without a state. */
function stateLine(state: StateReport | undefined): string[] {
  if (!state) return [];
  const read = state.read.length === 0 ? '' : ` (${state.read.map((datehour) => `${datehour} ${state.why[datehour]}`).join(', ')})`;
  const removed = state.removed.length === 0 ? '' : `, removed ${state.removed.length}`;
  return [`state: read ${state.read.length}${read}, recounted ${state.recounted.length}, reused ${state.reused.length}${removed}, generation ${state.generation}`];
}
