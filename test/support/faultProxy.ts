// An HTTP proxy in front of s3rver that injects real network faults: error answers, connections
// reset, bodies cut off or stalled halfway, slow drips, uploads cut mid-body. The client under test
// talks to the proxy as to S3; what it meets is what a flaky network does to it.
//
// It also answers the two multipart calls s3rver lacks, from s3rver's own files, so a test can
// see what S3 would: ListMultipartUploads lists the upload folders s3rver keeps on disk
// (`<bucket>/._S3rver_uploads/<id>/`, removed when an upload completes), and AbortMultipartUpload
// deletes one. And it gives s3rver S3's conditional write, which s3rver ignores: a PutObject with
// `If-None-Match: *` on a key that exists answers 412 PreconditionFailed (conditional writes of one
// key go one at a time, so two racing writers cannot both win).
//
// And it checksums like AWS S3, which s3rver does not: a whole-object GET that asks for checksums
// (`x-amz-checksum-mode: ENABLED`, the SDK's default) gets the body's CRC64NVME in
// `x-amz-checksum-crc64nvme` (`x-amz-checksum-type: FULL_OBJECT`); a ranged GET gets none. The
// `corrupt_body` fault flips one byte of such a body and leaves its checksum right, as a bit flipped on
// the way would.
import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { crc64nvme } from './crc64nvme.ts';
import { seededRandom } from './random.ts';

export const FAULTS = ['throttle', 'server_error', 'reset', 'stall_response', 'cut_body', 'stall_body', 'drip', 'cut_request', 'drip_slow', 'corrupt_body'] as const;
export type Fault = (typeof FAULTS)[number];
/**
 * The faults `randomFaults` picks from by default: every one but the slow drip, which costs seconds an
 * object, and a corrupt body, which only a checksummed (whole-object) answer can carry.
 */
const QUICK_FAULTS = FAULTS.filter((fault) => fault !== 'drip_slow' && fault !== 'corrupt_body');

/** What the plan sees of a request. `kind` sorts the S3 calls a plan treats differently. */
export interface ProxiedRequest {
  method: string;
  /** Path and query. */
  url: string;
  path: string;
  kind: 'get_object' | 'list' | 'put' | 'other';
  /** The `Range` header, when there is one. */
  range?: string;
}

export type FaultPlan = (request: ProxiedRequest) => Fault | undefined;

const ERROR_CODES = { throttle: [503, 'SlowDown'], server_error: [500, 'InternalError'] } as const;

export async function startFaultProxy(upstream: string, s3rverDirectory: string, initialPlan: FaultPlan = () => undefined, { checksums = true }: { checksums?: boolean } = {}) {
  const target = new URL(upstream);
  /** Faults injected so far, by kind. */
  const injected: Record<Fault, number> = Object.fromEntries(FAULTS.map((fault) => [fault, 0])) as Record<Fault, number>;
  const hooks = { plan: initialPlan, beforeCut: async (_path: string) => {} };
  const sockets = new Set<Socket>();
  /** Checksums already computed, by path, ETag and length (a benchmark reads the same objects run after run). */
  const checksumsOf = new Map<string, string>();
  /** Each key's conditional writes, one after another. */
  const conditionalWrites = new Map<string, Promise<void>>();

  const server = createServer(async (req, res) => {
    const url = new URL(req.url!, 'http://proxy');
    const request: ProxiedRequest = { method: req.method!, url: req.url!, path: url.pathname, kind: kindOf(req.method!, url), range: req.headers.range };
    const fault = hooks.plan(request);
    if (fault) injected[fault]++;
    switch (fault) {
      case 'reset':
        req.socket.resetAndDestroy();
        return;
      case 'stall_response':
        return; // never answers; the client's idle timeout must give up on it
      case 'throttle':
      case 'server_error': {
        await drain(req);
        const [status, code] = ERROR_CODES[fault];
        res.writeHead(status, { 'content-type': 'application/xml' });
        res.end(`<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>injected</Message></Error>`);
        return;
      }
      case 'cut_request': {
        const length = Number(req.headers['content-length'] ?? 0);
        let received = 0;
        req.on('data', (chunk: Buffer) => {
          received += chunk.length;
          if (received >= length / 2) req.socket.destroy();
        });
        if (length < 2) req.socket.destroy();
        return;
      }
    }

    if (request.method === 'GET' && url.searchParams.has('uploads')) return listUploads(res, url, s3rverDirectory);
    if (request.method === 'PUT' && req.headers['if-none-match'] === '*') {
      const previous = conditionalWrites.get(url.pathname) ?? Promise.resolve();
      let done!: () => void;
      const turn = new Promise<void>((resolve) => (done = resolve));
      conditionalWrites.set(url.pathname, previous.then(() => turn));
      await previous;
      res.once('close', done);
      if (await exists(target, url.pathname, req.headers)) {
        await drain(req);
        res.writeHead(412, { 'content-type': 'application/xml' });
        res.end('<?xml version="1.0" encoding="UTF-8"?><Error><Code>PreconditionFailed</Code><Message>At least one of the pre-conditions you specified did not hold</Message></Error>');
        return;
      }
    }
    if (request.method === 'DELETE' && url.searchParams.has('uploadId')) return abortUpload(res, url, s3rverDirectory);

    const headers = { ...req.headers, host: target.host };
    delete headers.expect; // this proxy already answered 100-continue
    const forward = httpRequest({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers }, async (answer) => {
      const checksummed = checksums && request.kind === 'get_object' && request.range === undefined && answer.statusCode === 200
        && String(req.headers['x-amz-checksum-mode']).toUpperCase() === 'ENABLED';
      if (fault === 'corrupt_body' && !checksummed) injected[fault]--; // nothing to check it against: passed untouched, not counted
      if (checksummed || fault === 'cut_body' || fault === 'stall_body' || fault === 'drip' || fault === 'drip_slow') {
        let body = await drain(answer);
        const answerHeaders = { ...answer.headers };
        if (checksummed) {
          const cacheKey = `${request.path} ${answer.headers.etag} ${body.length}`;
          if (!checksumsOf.has(cacheKey)) checksumsOf.set(cacheKey, Buffer.from(crc64nvme(body)).toString('base64'));
          answerHeaders['x-amz-checksum-crc64nvme'] = checksumsOf.get(cacheKey)!;
          answerHeaders['x-amz-checksum-type'] = 'FULL_OBJECT';
          if (fault === 'corrupt_body' && body.length > 0) {
            body = Buffer.from(body);
            body[body.length >> 1] ^= 0x20;
          }
        }
        res.writeHead(answer.statusCode!, answerHeaders);
        if (fault !== 'cut_body' && fault !== 'stall_body' && fault !== 'drip' && fault !== 'drip_slow') return void res.end(body);
        if (fault === 'drip') return drip(res, body);
        if (fault === 'drip_slow') return drip(res, body, 64 * 1024, 1500);
        if (body.length < 2) { // nothing to cut in half: passed untouched, and not counted
          injected[fault]--;
          res.end(body);
          return;
        }
        // Headers and half the body reach the client before the cut (destroying at once would drop them).
        await new Promise((resolve) => res.write(body.subarray(0, body.length >> 1), resolve));
        if (fault === 'cut_body') {
          await hooks.beforeCut(request.path);
          res.socket?.destroy();
        }
        return; // stall_body: half the body, then silence
      }
      res.writeHead(answer.statusCode!, answer.headers);
      answer.pipe(res);
    });
    forward.on('error', (error) => res.destroy(error));
    req.pipe(forward);
  });
  server.keepAliveTimeout = 60_000; // no idle socket closed under a client about to reuse it
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  server.on('checkContinue', (req, res) => {
    res.writeContinue();
    server.emit('request', req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };

  return {
    endpoint: `http://127.0.0.1:${port}`,
    injected,
    /** Replaces the plan (and optionally the hook run before a body is cut) for the requests to come. */
    set(plan: FaultPlan, beforeCut: (path: string) => Promise<void> = async () => {}) {
      hooks.plan = plan;
      hooks.beforeCut = beforeCut;
      for (const fault of FAULTS) injected[fault] = 0;
    },
    async stop() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * A plan that injects one of `faults` into a `share` of the requests that can meet it, chosen by a
 * seeded PRNG: body faults only where there is a body (object reads; `cut_request` only on uploads).
 * Transient faults are transient: one request (method and URL, its resumes included) meets at most
 * `streak` faults in a row, so a run with enough attempts always gets through.
 */
export function randomFaults(seed: number, share: number, { faults = QUICK_FAULTS, streak = 2 }: { faults?: readonly Fault[]; streak?: number } = {}): FaultPlan {
  const random = seededRandom(seed);
  const faultsInARow = new Map<string, number>();
  return (request) => {
    const key = `${request.method} ${request.url}`;
    const fitting = faults.filter((fault) => fits(fault, request));
    if (!random.chance(share) || fitting.length === 0 || (faultsInARow.get(key) ?? 0) >= streak) {
      faultsInARow.delete(key);
      return undefined;
    }
    faultsInARow.set(key, (faultsInARow.get(key) ?? 0) + 1);
    return random.pick(fitting);
  };
}

function fits(fault: Fault, { kind }: ProxiedRequest): boolean {
  if (fault === 'cut_request') return kind === 'put';
  if (fault === 'cut_body' || fault === 'stall_body' || fault === 'drip' || fault === 'drip_slow' || fault === 'corrupt_body') return kind === 'get_object';
  return true;
}

function kindOf(method: string, url: URL): ProxiedRequest['kind'] {
  const hasKey = url.pathname.split('/').filter(Boolean).length > 1;
  if (method === 'GET' && hasKey) return 'get_object';
  if (method === 'GET' && url.searchParams.has('list-type')) return 'list';
  if (method === 'PUT' && hasKey) return 'put';
  return 'other';
}

/**
 * Whether s3rver holds an object at `path` (a HEAD request, with the write's own credentials: s3rver
 * checks the access key id, not the signature).
 */
function exists(target: URL, path: string, { authorization, 'x-amz-date': date, 'x-amz-content-sha256': sha }: IncomingMessage['headers']): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const headers = { host: target.host, authorization, 'x-amz-date': date, 'x-amz-content-sha256': sha };
    const head = httpRequest({ host: target.hostname, port: target.port, method: 'HEAD', path, headers }, (answer) => {
      answer.resume();
      resolve(answer.statusCode === 200);
    });
    head.on('error', reject);
    head.end();
  });
}

async function drain(stream: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/**
 * The body in pieces of `piece` bytes, `pause` milliseconds apart: by default 256 bytes every 3 ms,
 * slow and never silent for long; `drip_slow` sends 64 KiB, then 1.5 s of silence, until the end.
 */
async function drip(res: ServerResponse, body: Buffer, piece = 256, pause = 3): Promise<void> {
  for (let at = 0; at < body.length; at += piece) {
    if (res.destroyed) return;
    res.write(body.subarray(at, at + piece));
    if (at + piece < body.length) await new Promise((resolve) => setTimeout(resolve, pause));
  }
  res.end();
}

const uploadsFolder = (directory: string, bucket: string) => join(directory, bucket, '._S3rver_uploads');

async function listUploads(res: ServerResponse, url: URL, directory: string): Promise<void> {
  const bucket = url.pathname.split('/')[1]!;
  const ids = await readdir(uploadsFolder(directory, bucket)).catch(() => [] as string[]);
  const uploads = await Promise.all(ids.map(async (id) => {
    const key = await readFile(join(uploadsFolder(directory, bucket), id, 'key'), 'utf8');
    return `<Upload><Key>${key}</Key><UploadId>${id}</UploadId></Upload>`;
  }));
  res.writeHead(200, { 'content-type': 'application/xml' });
  res.end(`<?xml version="1.0" encoding="UTF-8"?><ListMultipartUploadsResult><Bucket>${bucket}</Bucket>`
    + `<MaxUploads>1000</MaxUploads><IsTruncated>false</IsTruncated>${uploads.join('')}</ListMultipartUploadsResult>`);
}

async function abortUpload(res: ServerResponse, url: URL, directory: string): Promise<void> {
  const bucket = url.pathname.split('/')[1]!;
  await rm(join(uploadsFolder(directory, bucket), url.searchParams.get('uploadId')!), { recursive: true, force: true });
  res.writeHead(204);
  res.end();
}
