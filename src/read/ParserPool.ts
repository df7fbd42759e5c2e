import { Worker } from 'node:worker_threads';
import { ConsentMetricsError } from '../errors.ts';
import type { RetryCounts } from '../s3/retryKinds.ts';
import type { RemoteObject } from '../source/Source.ts';
import type { ParsedFile } from './ParsedFile.ts';
import type { ByteRange } from './parseLocalFile.ts';
import type { WorkerReply, WorkerRequest } from './workerProtocol.ts';

/**
 * A worker script's entry next to `base` (an `import.meta.url`): compiled JS as is; TypeScript
 * through a tsx bootstrap (`name.mjs`) in Node; Deno runs `name.ts` itself.
 */
export function workerEntry(base: string, name: string): URL {
  if (base.endsWith('.js')) return new URL(`./${name}.js`, base);
  return new URL('Deno' in globalThis ? `./${name}.ts` : `./${name}.mjs`, base);
}

/** Why work fails once its pool was closed. */
const STOPPED = 'the worker threads were stopped';

/** A thread started ahead (`prestartWorker`), for the first pool of its script; `failed` once it errs or exits. */
let spare: { worker: Worker; href: string; failed: boolean } | undefined;

/**
 * Starts a thread of worker script `entry` now, for the first pool of that script to take: a thread
 * takes ~50 ms to start (Node's own modules, then the script), which then overlaps what the process
 * loads before it needs one. One not taken never keeps the process alive; one that failed is not taken.
 * Returns the thread, or undefined when one was already started.
 *
 * @example
 * prestartWorker(workerEntry(import.meta.url, 'jobWorker')); // then, later: new ParserPool(2, workerEntry(import.meta.url, 'jobWorker'))
 */
export function prestartWorker(entry: URL): Worker | undefined {
  if (spare) return undefined;
  const worker = new Worker(entry);
  worker.unref();
  const started = { worker, href: entry.href, failed: false };
  const fail = () => (started.failed = true);
  worker.once('error', fail).once('exit', fail);
  spare = started;
  return worker;
}

/** The thread started ahead for `entry`, unless there is none or it failed. */
function takeSpare(entry: URL): Worker | undefined {
  if (!spare || spare.href !== entry.href) return undefined;
  const { worker, failed } = spare;
  spare = undefined;
  if (!failed) return worker;
  void worker.terminate();
  return undefined;
}

interface Job {
  request: WorkerRequest;
  transfer: ArrayBuffer[];
  /** Jobs of this kind a worker holds at once. */
  perWorker: number;
  describe: string;
  resolve: (result: unknown) => void;
  reject: (error: Error) => void;
}

/**
 * Worker threads that parse local files and S3 objects (and, with a job's worker script, count partitions), so the
 * work uses every core. Each worker takes one request at a time; the rest wait in a queue. Call
 * `close()` when done. A worker holds the event loop open only while it has work, so an abandoned
 * pool does not keep the process alive.
 *
 * @example
 * const pool = new ParserPool(2);
 * const parsed = await pool.parse('/data/datehour=2021-01-23-10/part-0.json', 'part-0.json');
 * await pool.close();
 */
export class ParserPool {
  private readonly workers: Worker[] = [];
  private readonly queue: Job[] = [];
  /** Each worker's jobs sent and not yet answered, by id. */
  private readonly running = new Map<Worker, Map<number, Job>>();
  private nextId = 0;
  /** `close()` was called. */
  private closed = false;
  /** Why a thread crashed or stopped by itself: later work fails with it rather than wait on a dead thread. */
  private broken: Error | undefined;

  /**
   * @param limit the threads the pool may run
   * @param entry the worker script: by default one that parses (`read/parseWorker`)
   * @param started the threads started now (by default `limit`); `grow` starts more
   * @param parseFields the fields every parse request carries for the pool's worker script, from the threads running (a job's asks its threads to split ids into lane shares)
   */
  constructor(
    readonly limit: number,
    private readonly entry: URL = workerEntry(import.meta.url, 'parseWorker'),
    started = limit,
    private readonly parseFields: (threads: number) => Record<string, unknown> = () => ({}),
  ) {
    this.grow(started);
  }

  /** Threads running in the pool. */
  get size(): number {
    return this.workers.length;
  }

  /** Starts threads until `threads` run, or the pool's limit. */
  grow(threads: number): void {
    while (this.workers.length < Math.min(threads, this.limit)) {
      const worker = takeSpare(this.entry) ?? new Worker(this.entry);
      worker.unref(); // ref'd while it has work (dispatch), unref'd when idle (settle)
      worker.on('message', (reply: WorkerReply) => this.settle(worker, reply));
      worker.on('error', (error: Error) => this.fail((this.broken ??= error)));
      // A thread that stops by itself (not closed): its work would never be answered.
      worker.on('exit', (code) => this.closed || this.fail((this.broken ??= new Error(`a worker thread stopped (exit code ${code})`))));
      this.workers.push(worker);
      this.running.set(worker, new Map());
    }
    this.dispatch();
  }

  /** S3 objects the threads fetch and parse at once, all told. */
  get remoteCapacity(): number {
    return this.workers.length * REMOTE_JOBS_PER_WORKER;
  }

  /**
   * Parses the file at `path`, or the split of it in `range`; `describe` names it in the report and in
   * errors. `fields`: more for the pool's worker script, for this request (its partition's).
   */
  parse(path: string, describe: string, range?: ByteRange, fields: Record<string, unknown> = {}): Promise<ParsedFile> {
    return this.run<ParsedFile>({ ...this.parseFields(this.workers.length), ...fields, kind: 'parse', path, describe, range }, [], `cannot read ${describe}`);
  }

  /** Parses local files (or splits of them) one after another on one thread, in one request: a unit of small files. */
  parseGroup(items: readonly { path: string; describe: string; range?: ByteRange }[], fields: Record<string, unknown> = {}): Promise<ParsedFile[]> {
    return this.run<ParsedFile[]>({ ...this.parseFields(this.workers.length), ...fields, kind: 'parse', group: items }, [], `cannot read ${items[0]?.describe}`);
  }

  /**
   * Parses an S3 object the worker fetches itself; `retries` are those the worker's client made since
   * its last answer (add them to the run's).
   */
  parseRemote(remote: RemoteObject, describe: string, fields: Record<string, unknown> = {}): Promise<ParsedFile & { retries: RetryCounts }> {
    return this.run({ ...this.parseFields(this.workers.length), ...fields, kind: 'parse', remote, describe }, [], `cannot read ${describe}`, REMOTE_JOBS_PER_WORKER);
  }

  /**
   * Sends a request to the next free worker, with `transfer` moved rather than copied; `failure`
   * starts the message of the error a worker reports; a worker holds up to `perWorker` such jobs.
   */
  run<T>(request: WorkerRequest, transfer: ArrayBuffer[], failure: string, perWorker = JOBS_PER_WORKER): Promise<T> {
    if (this.closed || this.broken) return Promise.reject(this.broken ?? new Error(STOPPED));
    return new Promise((resolve, reject) => {
      this.queue.push({ request, transfer, perWorker, describe: failure, resolve: resolve as (result: unknown) => void, reject });
      this.dispatch();
    });
  }

  /**
   * Sends a request to thread `thread` (of {@link size}) at once, whatever it holds: for work that must
   * run where earlier work left its state (a dedup lane's ids). A thread answers its requests in the
   * order they came.
   */
  runOn<T>(thread: number, request: WorkerRequest, transfer: ArrayBuffer[], failure: string): Promise<T> {
    if (this.closed || this.broken) return Promise.reject(this.broken ?? new Error(STOPPED));
    const worker = this.workers[thread];
    if (!worker) return Promise.reject(new Error(`no worker thread ${thread} in a pool of ${this.workers.length}`));
    return new Promise((resolve, reject) => {
      const id = this.nextId++;
      this.running.get(worker)!.set(id, { request, transfer, perWorker: Infinity, describe: failure, resolve: resolve as (result: unknown) => void, reject });
      worker.ref();
      worker.postMessage({ ...request, id }, transfer);
    });
  }

  /** Stops the threads; work not yet answered fails. */
  async close(): Promise<void> {
    if (!this.closed) this.fail(new Error(STOPPED));
    this.closed = true;
    // An idle worker is unref'd: ref it, or nothing keeps the process alive until it has exited and
    // a top-level await on this close ends the process with code 13 (seen under load).
    await Promise.all(this.workers.map((worker) => (worker.ref(), worker.terminate())));
  }

  /**
   * Sends queued jobs to the least busy workers, up to {@link JOBS_PER_WORKER} each (S3 objects:
   * {@link REMOTE_JOBS_PER_WORKER}): a worker that finishes a job starts its next one at once, without
   * waiting for this thread to hear of it.
   */
  private dispatch(): void {
    while (this.queue.length > 0) {
      const worker = this.workers.reduce((least, candidate) => (this.running.get(candidate)!.size < this.running.get(least)!.size ? candidate : least));
      const jobs = this.running.get(worker)!;
      if (jobs.size >= this.queue[0]!.perWorker) return;
      const job = this.queue.shift()!;
      const id = this.nextId++;
      jobs.set(id, job);
      worker.ref();
      worker.postMessage({ ...job.request, id }, job.transfer);
    }
  }

  private settle(worker: Worker, reply: WorkerReply): void {
    const jobs = this.running.get(worker)!;
    const job = jobs.get(reply.id);
    if (!job) return; // failed already (the pool closed, or a thread crashed)
    jobs.delete(reply.id);
    if (jobs.size === 0) worker.unref();
    if ('error' in reply) job.reject(new ConsentMetricsError(reply.whole ? reply.error : `${job.describe}: ${reply.error}`));
    else job.resolve(reply.result);
    this.dispatch();
  }

  /** A worker crashed or stopped (a bug, not bad input), or the pool closed: fail everything waiting rather than hang. */
  private fail(error: Error): void {
    const running = [...this.running.values()].flatMap((jobs) => {
      const all = [...jobs.values()];
      jobs.clear();
      return all;
    });
    for (const job of [...running, ...this.queue.splice(0)]) job.reject(error);
  }
}

/**
 * Jobs a worker holds at once: the one it runs and the next. The main thread, busy deduplicating,
 * would otherwise leave a worker idle between a reply and the next request (~15% of each worker's
 * time at 2M events).
 */
const JOBS_PER_WORKER = 2;

/**
 * S3 objects a worker fetches and parses at once: one that stalls (hedged after ~2 s) must not hold up
 * the thread's others, and a connection carries less than a core parses.
 */
const REMOTE_JOBS_PER_WORKER = 4;
