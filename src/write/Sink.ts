/**
 * One output file: its key under the sink's root, and its bytes.
 *
 * @example
 * const file: OutputFile = { key: 'datehour=2021-01-23-10/part-0.parquet', bytes };
 */
export interface OutputFile {
  /** Where it goes, relative to the sink's root, with `/` separators. */
  key: string;
  /** The whole file's content. */
  bytes: Uint8Array;
}

/**
 * Where results go. A local folder and an S3 prefix both implement it. A reader never sees a
 * half-written file, and when writing fails, no file of the batch that was not already whole is left.
 *
 * @example
 * const sink: Sink = localSink('out');
 * await sink.write([{ key: 'metrics.parquet', bytes }]);
 */
export interface Sink {
  /** Human-readable location of a key: a path or `s3://bucket/key`. */
  describe(key: string): string;
  /** Writes every file whole, or throws having replaced none that it could avoid replacing. */
  write(files: OutputFile[]): Promise<void>;
  /**
   * Writes one file from its bytes as they come, so they are never all in memory: it appears whole
   * once `chunks` ends, or not at all if they fail (with their error) or the write does. Optional:
   * without it, the chunks are gathered and given to `write`.
   */
  writeFrom?(key: string, chunks: AsyncIterable<Uint8Array>): Promise<void>;
  /**
   * Writes files that come one after another, each kept aside as it comes and all put in place once the
   * last is whole: a failure (theirs or the source's, given on as it is) leaves none of them. Optional:
   * without it, each file is written as it comes (S3: each object appears whole as it is put).
   */
  writeEach?(files: AsyncIterable<OutputFile>): Promise<void>;
}
