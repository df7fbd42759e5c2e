/**
 * A problem with the user's input or setup (missing root, bad flag, malformed line in strict mode).
 * The CLI prints its message as one line, without a stack trace; anything else is a bug and keeps its stack.
 *
 * @example
 * throw new ConsentMetricsError(`no partitions under ${root}`);
 */
export class ConsentMetricsError extends Error {
  /** Always `ConsentMetricsError`, for checks that cannot use `instanceof`. */
  override name = 'ConsentMetricsError';
}

/**
 * Strict mode's failure: a rejected line or an invalid token. A user's mistake, so a queued run
 * fails at once on it instead of retrying the task.
 *
 * @example
 * try { await runJob({ root, strict: true }); } catch (error) { if (error instanceof StrictModeError) console.error(error.message); }
 */
export class StrictModeError extends ConsentMetricsError {
  /** How its message starts: a queued run knows a task's failure by it (BullMQ keeps only the message). */
  static readonly PREFIX = 'strict mode: ';
}

/**
 * Options that do not go together, or an option of the wrong kind, given to `runJob`: a user's
 * mistake found before anything is read (the CLI exits 2 on it, as on a bad flag).
 *
 * @example
 * await runJob({ root, state: { location: 'state/' }, buckets: 8 }); // OptionError: buckets (--buckets) does not apply with state (--state): ...
 */
export class OptionError extends ConsentMetricsError {}

/**
 * Reading `metrics` of a run that wrote more rows than it could keep under its memory budget: they are
 * in its output, to read from there.
 *
 * @example
 * try { result.metrics; } catch (error) { if (error instanceof MetricsNotKeptError) console.error(error.rows); }
 */
export class MetricsNotKeptError extends ConsentMetricsError {
  /** The rows of metrics the run wrote. */
  readonly rows: number;
  /** Where it wrote them. */
  readonly written: string[];

  constructor(rows: number, written: string[], keepRows: number) {
    super(`the run's ${rows} rows of metrics were written (${written.join(', ')}), not kept to hand back: more than the ${keepRows} its memory budget keeps; read them from there`);
    this.rows = rows;
    this.written = written;
  }
}
