import { StrictModeError } from '../errors.ts';

/**
 * Why a line was left out of the metrics.
 *
 * @example
 * const reason: RejectReason = 'missing_id';
 */
export type RejectReason = 'invalid_json' | 'missing_id' | 'unknown_type';
/**
 * Every {@link RejectReason}, in report order.
 *
 * @example
 * REJECT_REASONS.map((reason) => `${reason}: ${report.rejected[reason]}`);
 */
export const REJECT_REASONS: readonly RejectReason[] = ['invalid_json', 'missing_id', 'unknown_type'];

/**
 * One reported line: a rejected line, or an event kept without consent because its token is invalid.
 *
 * @example
 * const first: Problem | undefined = report.examples[0]; // { reason, file, line, detail }
 */
export interface Problem {
  /** Why the line was reported. */
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

/**
 * A tally's data, as plain fields (what a worker thread can post).
 *
 * @example
 * const counts: TallyCounts = parsedFile; // a parsed file carries its own counts
 * new Tally().merge(counts);
 */
export interface TallyCounts {
  /** Non-blank lines read. */
  lines: number;
  /** Lines left out, by reason. */
  rejected: Record<RejectReason, number>;
  /** Events kept without consent because their token is invalid. */
  invalidTokens: number;
  /** The first few problems of each reason, in line order. */
  examples: Problem[];
}

/**
 * Counts of what a read saw: lines, rejected lines by reason, invalid tokens, and the first few
 * problems of each reason. Tallies of files and partitions are merged in key order, so the examples
 * do not depend on which file finished reading first.
 *
 * @example
 * const tally = new Tally();
 * tally.report({ reason: 'invalid_json', file: 'part-0.json', line: 3, detail: 'Unexpected end of JSON input' });
 * tally.rejected.invalid_json; // 1
 */
export class Tally implements TallyCounts {
  lines = 0;
  rejected: Record<RejectReason, number> = { invalid_json: 0, missing_id: 0, unknown_type: 0 };
  invalidTokens = 0;
  examples: Problem[] = [];

  /** @param strict fail on the first problem instead of counting it */
  constructor(readonly strict = false) {}

  /** Counts a problem; in strict mode throws it as a one-line error naming file and line. */
  report(problem: Problem): void {
    if (this.strict) {
      throw new StrictModeError(`${StrictModeError.PREFIX}${problem.file}:${problem.line}: ${problem.reason}: ${problem.detail}`);
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
