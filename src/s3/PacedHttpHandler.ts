import { Readable } from 'node:stream';
import { NodeHttpHandler, type NodeHttpHandlerOptions } from '@smithy/node-http-handler';
import type { HttpHandlerOptions } from '@smithy/types';
import type { BodyPace } from './BodyPace.ts';

type HttpRequest = Parameters<NodeHttpHandler['handle']>[0];
type HandlerResult = Awaited<ReturnType<NodeHttpHandler['handle']>>;

/** Bytes an upload's body is handed to the connection in: each one taken counts as progress. */
const SLICE = 64 * 1024;

/**
 * The SDK's Node HTTP handler, with uploads (PutObject, UploadPart) watched for progress: the body is
 * handed over in 64 KiB slices, and an upload that takes no slice and gets no answer for the pace's
 * stall threshold is aborted and fails as a timeout, which the retry strategy sends again on another
 * connection (counted as `upload_slow`). The connection's own idle timeout stays the last bound.
 *
 * @example
 * new S3Client({ requestHandler: new PacedHttpHandler({ socketTimeout: 30_000 }, paceOf(client)) });
 */
export class PacedHttpHandler extends NodeHttpHandler {
  constructor(options: NodeHttpHandlerOptions, private readonly pace: BodyPace) {
    super(options);
  }

  override async handle(request: HttpRequest, options: HttpHandlerOptions = {}): Promise<HandlerResult> {
    const body = request.body as unknown;
    if (request.method !== 'PUT' || !(body instanceof Uint8Array) || body.byteLength === 0) return super.handle(request, options);
    const abort = new AbortController();
    const outer = options.abortSignal as AbortSignal | undefined;
    outer?.addEventListener?.('abort', () => abort.abort());
    let lastProgress = performance.now();
    const progress = () => {
      const now = performance.now();
      this.pace.record(now - lastProgress);
      lastProgress = now;
    };
    let offset = 0;
    const slices = new Readable({
      read() {
        progress();
        this.push(offset < body.byteLength ? body.subarray(offset, (offset += SLICE)) : null);
      },
    });
    const paced = Object.assign(Object.create(Object.getPrototypeOf(request)), request, { body: slices }) as HttpRequest;
    let timer: ReturnType<typeof setInterval> | undefined;
    const stalled = new Promise<never>((_, reject) => {
      timer = setInterval(() => {
        if (performance.now() - lastProgress <= this.pace.stallAfter()) return;
        abort.abort();
        reject(Object.assign(new Error(`upload made no progress for ${Math.round(performance.now() - lastProgress)} ms`), { name: 'TimeoutError', code: 'ETIMEDOUT', stall: 'upload_slow' }));
      }, Math.min(250, this.pace.floor / 4));
    });
    try {
      return await Promise.race([super.handle(paced, { ...options, abortSignal: abort.signal as HttpHandlerOptions['abortSignal'] }), stalled]);
    } finally {
      clearInterval(timer);
    }
  }
}
