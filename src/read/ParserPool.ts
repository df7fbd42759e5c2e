import { Worker } from 'node:worker_threads';
import { ConsentMetricsError } from '../errors.ts';
import type { ParsedFile } from './FileParser.ts';
import type { ParseRequest } from './parseWorker.ts';

/** The worker's entry: compiled JS as is; TypeScript through a tsx bootstrap in Node; Deno runs .ts itself. */
function workerEntry(): URL {
  const here = import.meta.url;
  if (here.endsWith('.js')) return new URL('./parseWorker.js', here);
  return new URL('Deno' in globalThis ? './parseWorker.ts' : './parseWorker.mjs', here);
}

interface Job {
  request: ParseRequest;
  resolve: (parsed: ParsedFile) => void;
  reject: (error: Error) => void;
}

/**
 * Worker threads that parse local files, so parsing uses every core. Each worker takes one file at a
 * time; the rest wait in a queue. Call `close()` when done. A worker holds the event loop open only
 * while it has a file to parse, so an abandoned pool does not keep the process alive.
 *
 * @example
 * const pool = new ParserPool(2);
 * const parsed = await pool.parse('/data/datehour=2021-01-23-10/part-0.json', 'part-0.json');
 * await pool.close();
 */
export class ParserPool {
  private readonly workers: Worker[] = [];
  private readonly idle: Worker[] = [];
  private readonly queue: Job[] = [];
  private readonly running = new Map<Worker, Job>();
  private nextId = 0;

  constructor(size: number) {
    for (let i = 0; i < size; i++) {
      const worker = new Worker(workerEntry());
      worker.unref(); // ref'd while it has work (dispatch), unref'd when idle (settle)
      worker.on('message', (reply: { parsed?: ParsedFile; error?: string }) => this.settle(worker, reply));
      worker.on('error', (error: Error) => this.fail(error));
      this.workers.push(worker);
      this.idle.push(worker);
    }
  }

  /** Parses the file at `path`; `describe` names it in the report and in errors. */
  parse(path: string, describe: string): Promise<ParsedFile> {
    return new Promise((resolve, reject) => {
      this.queue.push({ request: { id: this.nextId++, path, describe }, resolve, reject });
      this.dispatch();
    });
  }

  async close(): Promise<void> {
    // An idle worker is unref'd: ref it, or nothing keeps the process alive until it has exited and
    // a top-level await on this close ends the process with code 13 (seen under load).
    await Promise.all(this.workers.map((worker) => (worker.ref(), worker.terminate())));
  }

  private dispatch(): void {
    while (this.idle.length > 0 && this.queue.length > 0) {
      const worker = this.idle.pop()!;
      const job = this.queue.shift()!;
      this.running.set(worker, job);
      worker.ref();
      worker.postMessage(job.request);
    }
  }

  private settle(worker: Worker, { parsed, error }: { parsed?: ParsedFile; error?: string }): void {
    const job = this.running.get(worker)!;
    this.running.delete(worker);
    worker.unref();
    this.idle.push(worker);
    if (parsed) job.resolve(parsed);
    else job.reject(new ConsentMetricsError(`cannot read ${job.request.describe}: ${error}`));
    this.dispatch();
  }

  /** A worker crashed (a bug, not bad input): fail everything waiting rather than hang. */
  private fail(error: Error): void {
    for (const job of [...this.running.values(), ...this.queue.splice(0)]) job.reject(error);
    this.running.clear();
  }
}
