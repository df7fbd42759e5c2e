import { parentPort } from 'node:worker_threads';
import { ConsentMetricsError } from '../errors.ts';
import type { RemoteObject } from '../source/Source.ts';
import { transferList } from './ParsedFile.ts';
import { parseLocalFile } from './parseLocalFile.ts';
import { openRemoteObject, parseRemoteObject } from './parseRemoteObject.ts';

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

/**
 * A worker's answer: the handler's result, or the error's code or message (`whole`: the message of a
 * ConsentMetricsError, complete as it is).
 */
export type WorkerReply = { result: unknown } | { error: string; whole?: boolean };

/** A request's handler: its result and the buffers to transfer with it. */
export interface WorkerHandler {
  (request: WorkerRequest, prepared?: unknown): Promise<{ result: unknown; transfer: ArrayBuffer[] }>;
  /** Called as a request arrives, while the ones before it still run (a fetch started early); its value goes to the handler. */
  prepare?: (request: WorkerRequest) => unknown;
}

/**
 * Parses a file on the worker, no bytes crossing threads: a local file (`path`) read by the worker, or
 * an S3 object (`remote`) the worker fetches with a client of its own, its first request sent as the
 * request arrives. Posts the columns by transfer.
 */
export const parseHandler: WorkerHandler = async (request, prepared) => {
  const options = { judgeTokens: request.judgeTokens === true };
  const parsed = request.remote
    ? await parseRemoteObject(request.remote as RemoteObject, (prepared as Promise<AsyncIterable<Uint8Array>> | undefined) ?? openRemoteObject(request.remote as RemoteObject), request.describe as string, options)
    : await parseLocalFile(request.path as string, request.describe as string, options);
  return { result: parsed, transfer: transferList(parsed) };
};
parseHandler.prepare = (request) => {
  if (!request.remote) return undefined;
  const opened = openRemoteObject(request.remote as RemoteObject);
  opened.catch(() => {}); // awaited by the handler
  return opened;
};

/**
 * Answers the parent's requests with `handlers`, one at a time and in the order they came (the pool
 * sends the next request before this one is answered, and matches replies to requests by order).
 * Errors carry the Node code (`ENOENT`...) when there is one.
 */
export function serveRequests(handlers: Record<string, WorkerHandler>): void {
  let previous = Promise.resolve();
  parentPort!.on('message', (request: WorkerRequest) => {
    const handler = handlers[request.kind]!;
    const prepared = handler.prepare?.(request);
    previous = previous.then(async () => {
      try {
        const { result, transfer } = await handler(request, prepared);
        parentPort!.postMessage({ result } satisfies WorkerReply, transfer);
      } catch (error) {
        if (error instanceof ConsentMetricsError) return parentPort!.postMessage({ error: error.message, whole: true } satisfies WorkerReply);
        const { code, message } = error as NodeJS.ErrnoException;
        parentPort!.postMessage({ error: code ?? message } satisfies WorkerReply);
      }
    });
  });
}
