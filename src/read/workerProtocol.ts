import { parentPort } from 'node:worker_threads';
import { ConsentMetricsError } from '../errors.ts';
import type { RemoteObject } from '../source/Source.ts';
import { transferList } from './ParsedFile.ts';
import { parseLocalFile, readFailure, type ByteRange } from './parseLocalFile.ts';
import { parseRemoteObject } from './parseRemoteObject.ts';

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

/** A request as posted: with the id its reply carries back. */
interface PostedRequest extends WorkerRequest {
  id: number;
}

/**
 * A worker's answer to request `id`: the handler's result, or the error's code or message (`whole`: the
 * message of a ConsentMetricsError, complete as it is).
 */
export type WorkerReply = { id: number } & ({ result: unknown } | { error: string; whole?: boolean });

/** A request's handler: its result and the buffers to transfer with it. */
export interface WorkerHandler {
  (request: WorkerRequest): Promise<{ result: unknown; transfer: ArrayBuffer[] }>;
  /**
   * Whether a request runs at once, beside the others, rather than after the ones before it: one that
   * waits on the network (a stalled S3 body must not hold up the next object). Default: never.
   */
  concurrent?: (request: WorkerRequest) => boolean;
}

/**
 * Parses a file on the worker, no bytes crossing threads: a local file (`path`, or the split of it in `range`) read by the worker, or
 * an S3 object (`remote`) the worker fetches with a client of its own (several at once). Posts the
 * columns by transfer.
 */
export const parseHandler: WorkerHandler = async (request) => {
  const options = { judgeTokens: request.judgeTokens === true, datetime: request.datetime === true };
  const parsed = request.remote
    ? await parseRemoteObject(request.remote as RemoteObject, request.describe as string, options)
    : await parseLocalFile(request.path as string, request.describe as string, options, request.range as ByteRange | undefined);
  return { result: parsed, transfer: transferList(parsed) };
};
parseHandler.concurrent = (request) => request.remote !== undefined;

/**
 * `handler` for a request that may carry a `group` of requests' own fields (`ParserPool.parseGroup`):
 * each handled in turn, their results as an array; an item's failure names the item (its `describe`).
 *
 * @example
 * serveRequests({ parse: eachInGroup(parseHandler) });
 */
export function eachInGroup(handler: WorkerHandler): WorkerHandler {
  const grouped: WorkerHandler = async (request) => {
    const group = request.group as Record<string, unknown>[] | undefined;
    if (!group) return handler(request);
    const results: unknown[] = [];
    const transfer: ArrayBuffer[] = [];
    for (const item of group) {
      const answer = await handler({ ...request, group: undefined, ...item }).catch((error: unknown) => {
        throw readFailure(item.describe as string, error); // the item's own name, not the group's first
      });
      results.push(answer.result);
      transfer.push(...answer.transfer);
    }
    return { result: results, transfer };
  };
  grouped.concurrent = handler.concurrent;
  return grouped;
}

/**
 * Answers the parent's requests with `handlers`, one at a time and in the order they came (the pool
 * sends the next request before this one is answered), but for those a handler runs `concurrent`ly.
 * Replies carry their request's id. Errors carry the Node code (`ENOENT`...) when there is one.
 */
export function serveRequests(handlers: Record<string, WorkerHandler>): void {
  let previous = Promise.resolve();
  parentPort!.on('message', (request: PostedRequest) => {
    const handler = handlers[request.kind]!;
    const answer = async () => {
      const { id } = request;
      try {
        const { result, transfer } = await handler(request);
        parentPort!.postMessage({ id, result } satisfies WorkerReply, transfer);
      } catch (error) {
        if (error instanceof ConsentMetricsError) return parentPort!.postMessage({ id, error: error.message, whole: true } satisfies WorkerReply);
        const { code, message } = error as NodeJS.ErrnoException;
        parentPort!.postMessage({ id, error: code ?? message } satisfies WorkerReply);
      }
    };
    if (handler.concurrent?.(request)) void answer();
    else previous = previous.then(answer);
  });
}
