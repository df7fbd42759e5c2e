import { workerEntry } from '../read/ParserPool.ts';

/**
 * The script of a run's worker threads (`jobWorker`: parses, judges tokens, counts partitions), in a
 * module of its own so that the executable can start one before it loads the job.
 *
 * @example
 * const pool = new ParserPool(2, jobWorkerEntry());
 */
export function jobWorkerEntry(): URL {
  return workerEntry(import.meta.url, 'jobWorker');
}
