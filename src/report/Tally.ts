import { ConsentMetricsError } from '../errors.ts';

/** Why a line was left out of the metrics. */
export type RejectReason = 'invalid_json' | 'missing_id' | 'unknown_type';
export const REJECT_REASONS: readonly RejectReason[] = ['invalid_json', 'missing_id', 'unknown_type'];

/** One reported line: a rejected line, or an event kept without consent because its token is invalid. */
export interface Problem {
  reason: RejectReason | 'invalid_token';
  /** Where the line is: a path or `s3://` URL. */
  file: string;
  /** 1-based physical line number (blank lines count). */
  line: number;
  /** What was expected and what was found. */
  detail: string;
}

/** How many examples of each reason a report keeps. */
export const EXAMPLES_PER_REASON = 5;

/** A tally's data, as plain fields (what a worker thread can post). */
export interface TallyCounts {
  lines: number;
  rejected: Record<RejectReason, number>;
  invalidTokens: number;
  examples: Problem[];
}

/**
 * Counts of what a read saw: lines, rejected lines by reason, invalid tokens, and the first few
 * problems of each reason. Tallies of files and partitions are merged in key order, so the examples
 * do not depend on which file finished reading first.
 */
export class Tally implements TallyCounts {
  /** Non-blank lines read. */
  lines = 0;
  rejected: Record<RejectReason, number> = { invalid_json: 0, missing_id: 0, unknown_type: 0 };
  invalidTokens = 0;
  examples: Problem[] = [];

  /** @param strict fail on the first problem instead of counting it */
  constructor(readonly strict = false) {}

  /** Counts a problem; in strict mode throws it as a one-line error naming file and line. */
  report(problem: Problem): void {
    if (this.strict) {
      throw new ConsentMetricsError(`strict mode: ${problem.file}:${problem.line}: ${problem.reason}: ${problem.detail}`);
    }
    if (problem.reason === 'invalid_token') this.invalidTokens++;
    else this.rejected[problem.reason]++;
    this.keepExample(problem);
  }

  /**
   * Adds other counts (another tally, or a parsed file's) and their examples after this one's. In
   * strict mode, throws their first problem instead.
   */
  merge(other: TallyCounts): this {
    const first = other.examples[0];
    if (this.strict && first) this.report(first);
    this.lines += other.lines;
    for (const reason of REJECT_REASONS) this.rejected[reason] += other.rejected[reason];
    this.invalidTokens += other.invalidTokens;
    for (const problem of other.examples) this.keepExample(problem);
    return this;
  }

  private keepExample(problem: Problem): void {
    const sameReason = this.examples.filter((example) => example.reason === problem.reason).length;
    if (sameReason < EXAMPLES_PER_REASON) this.examples.push(problem);
  }
}
