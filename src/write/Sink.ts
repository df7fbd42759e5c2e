/** One output file: its key under the sink's root, and its bytes. */
export interface OutputFile {
  key: string;
  bytes: Uint8Array;
}

/**
 * Where results go. A local folder and an S3 prefix both implement it. A reader never sees a
 * half-written file, and when writing fails, no file of the batch that was not already whole is left.
 */
export interface Sink {
  /** Human-readable location of a key: a path or `s3://bucket/key`. */
  describe(key: string): string;
  /** Writes every file whole, or throws having replaced none that it could avoid replacing. */
  write(files: OutputFile[]): Promise<void>;
}
