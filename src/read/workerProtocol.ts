import { parentPort } from 'node:worker_threads';
import { transferList } from './ParsedFile.ts';
import { parseLocalFile } from './parseLocalFile.ts';

/**
 * A request to a worker thread: `kind` picks the handler. Parse requests are this stage's; a job's
 * worker script adds its own kinds.
 *
 * @example
 * const request: WorkerRequest = { kind: 'parse', path: '/data/part-0.json', describe: 'part-0.json' };
 */
export interface WorkerRequest {
  kind: string;
  [field: string]: unknown;
}

/** A worker's answer: the handler's result, or the error's code or message. */
export type WorkerReply = { result: unknown } | { error: string };

/** A request's handler: its result and the buffers to transfer with it. */
export type WorkerHandler = (request: WorkerRequest) => Promise<{ result: unknown; transfer: ArrayBuffer[] }>;

/** Reads and parses a local file on the worker (no bytes cross threads); posts the columns by transfer. */
export const parseHandler: WorkerHandler = async (request) => {
  const parsed = await parseLocalFile(request.path as string, request.describe as string, { judgeTokens: request.judgeTokens === true });
  return { result: parsed, transfer: transferList(parsed) };
};

/**
 * Answers the parent's requests with `handlers`, one at a time and in the order they came (the pool
 * sends the next request before this one is answered, and matches replies to requests by order).
 * Errors carry the Node code (`ENOENT`...) when there is one.
 */
export function serveRequests(handlers: Record<string, WorkerHandler>): void {
  let previous = Promise.resolve();
  parentPort!.on('message', (request: WorkerRequest) => {
    previous = previous.then(async () => {
      try {
        const { result, transfer } = await handlers[request.kind]!(request);
        parentPort!.postMessage({ result } satisfies WorkerReply, transfer);
      } catch (error) {
        const { code, message } = error as NodeJS.ErrnoException;
        parentPort!.postMessage({ error: code ?? message } satisfies WorkerReply);
      }
    });
  });
}
