// Network faults caused for real: a proxy in front of s3rver answers 503 and 500, resets connections,
// cuts bodies off halfway, stalls them, drips them, and cuts uploads mid-body. Runs through it must
// equal the fault-free run every time, count their retries by kind, and, when every attempt fails,
// fail within a bounded time with one line and write nothing.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { gzipSync } from 'node:zlib';
import {
  AbortMultipartUploadCommand, CreateMultipartUploadCommand, GetObjectCommand, HeadObjectCommand, ListMultipartUploadsCommand, PutObjectCommand, S3Client,
} from '@aws-sdk/client-s3';
import pMap from 'p-map';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createS3Client, noRetries, runJob, s3Sink, type RetryCounts, type S3Options } from '../../src/index.ts';
import { FAULTS, randomFaults, startFaultProxy, type Fault } from '../support/faultProxy.ts';
import { FIXTURES, goldenCases } from '../support/fixtures.ts';
import { eventLine } from '../support/memorySource.ts';
import { seededRandom } from '../support/random.ts';
import { readParquetBack } from '../support/readParquetBack.ts';
import { runCliProcess } from '../support/runCliProcess.ts';
import { S3RVER_CREDENTIALS, startS3rver } from '../support/startS3rver.ts';

const server = await startS3rver(['events', 'results']);
const proxy = await startFaultProxy(server.endpoint, server.directory);
const scratch = await mkdtemp(join(tmpdir(), 'consent-metrics-faults-'));
/** Short timeouts so stalls cost a fraction of a second; the defaults are for real networks. */
const s3 = { endpoint: proxy.endpoint, credentials: S3RVER_CREDENTIALS, connectTimeout: 1_000, idleTimeout: 400 };
const cliEnv = { AWS_ACCESS_KEY_ID: S3RVER_CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: S3RVER_CREDENTIALS.secretAccessKey, AWS_REGION: 'us-east-1' };
const cliS3 = ['--endpoint', proxy.endpoint, '--idle-timeout', '0.4', '--connect-timeout', '1'];

/** The retry kind each injected fault must show up as in the report (a drip is slow, not a fault). */
const KIND_OF_FAULT: Record<Fault, keyof RetryCounts | null> = {
  throttle: 'throttled', server_error: 'server_error', reset: 'connection', stall_response: 'timeout',
  cut_body: 'body_cut', stall_body: 'body_timeout', drip: null, cut_request: 'connection', drip_slow: null, corrupt_body: 'checksum',
};
function expectedRetries(injected: Record<Fault, number>): RetryCounts {
  const counts = noRetries();
  for (const fault of FAULTS) if (KIND_OF_FAULT[fault]) counts[KIND_OF_FAULT[fault]!] += injected[fault];
  return counts;
}

async function uploadFolder(folder: string, prefix: string) {
  const entries = await readdir(folder, { recursive: true, withFileTypes: true });
  await pMap(entries.filter((entry) => entry.isFile()), async (entry) => {
    const path = join(entry.parentPath, entry.name);
    await server.client.send(new PutObjectCommand({ Bucket: 'events', Key: `${prefix}/${relative(folder, path)}`, Body: await readFile(path) }));
  }, { concurrency: 16 });
}
async function download(bucket: string, key: string): Promise<Uint8Array> {
  const { Body } = await server.client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return Body!.transformToByteArray();
}
async function exists(bucket: string, key: string): Promise<boolean> {
  return server.client.send(new HeadObjectCommand({ Bucket: bucket, Key: key })).then(() => true, () => false);
}
const reportCounts = ({ lines, duplicates, rejected, invalid_tokens, files, partitions, events, examples }: Awaited<ReturnType<typeof runJob>>['report']) =>
  ({ lines, duplicates, rejected, invalid_tokens, files, partitions, events, examples: examples.map(({ reason, line }) => ({ reason, line })) });

/** 3 hours x 40 objects, every other one gzip, ids repeated across objects and hours. */
async function writeManyObjects(folder: string) {
  const random = seededRandom(11);
  for (const hour of ['10', '11', '12']) {
    const partition = join(folder, `datehour=2021-01-23-${hour}`);
    await mkdir(partition, { recursive: true });
    for (let object = 0; object < 40; object++) {
      const lines = Array.from({ length: 30 + random.int(40) }, () => eventLine({
        id: `e${random.int(3000)}`, user: `u${random.int(50)}`, domain: random.pick(['a.com', 'b.fr', 'c.de']), country: random.pick(['FR', 'DE', 'ES']),
        type: random.pick(['pageview', 'pageview', 'consent.asked', 'consent.given']), token: random.chance(0.5) ? '{"purposes":{"enabled":["ads"]}}' : null,
      })).join('\n') + '\n';
      const name = `part-${String(object).padStart(5, '0')}.json`;
      if (object % 2) await writeFile(join(partition, `${name}.gz`), gzipSync(lines));
      else await writeFile(join(partition, name), lines);
    }
  }
}

await uploadFolder(FIXTURES, 'golden');
const many = join(scratch, 'many');
await writeManyObjects(many);
await uploadFolder(many, 'many');

for (const [index, golden] of goldenCases().entries()) {
  test(`${golden.name}: S3 -> S3 through a quarter of requests faulted equals the local run`, async () => {
    const localOut = join(scratch, `${golden.name}.parquet`);
    const local = await runJob({ root: golden.root, out: localOut, ...golden.options });
    proxy.set(randomFaults(100 + index, 0.25));
    const key = `faults/${golden.name}.parquet`;
    const remote = await runJob({ root: `s3://events/golden/${golden.name}/input`, out: `s3://results/${key}`, s3, ...golden.options });
    assert.equal(remote.metrics.objects(), local.metrics.objects());
    assert.equal(reportCounts(remote.report), reportCounts(local.report));
    assert.equal(remote.report.retries, expectedRetries(proxy.injected));
    proxy.set(() => undefined);
    await writeFile(join(scratch, 'remote.parquet'), await download('results', key));
    assert.equal(await readParquetBack(join(scratch, 'remote.parquet')), await readParquetBack(localOut));
  });
}

test('120 objects, gzip included, every kind of fault: each run equals the fault-free run, retries counted by kind', async () => {
  proxy.set(() => undefined);
  const clean = await runJob({ root: 's3://events/many', s3 });
  assert.equal(clean.report.retries, noRetries());
  assert.is(clean.report.files, 120);
  assert.ok(clean.report.duplicates > 100, 'the data has duplicates across objects and hours');
  for (const seed of [1, 2, 3]) {
    proxy.set(randomFaults(seed, 0.25));
    const faulty = await runJob({ root: 's3://events/many', s3 });
    const injected = { ...proxy.injected };
    assert.ok(FAULTS.filter((fault) => injected[fault] > 0).length >= 5, `seed ${seed} injected most kinds: ${JSON.stringify(injected)}`);
    assert.equal(faulty.metrics.objects(), clean.metrics.objects());
    assert.equal(reportCounts(faulty.report), reportCounts(clean.report));
    assert.equal(faulty.report.retries, expectedRetries(injected));
  }
});

test('the CLI: timeouts from flags, retries by kind in --report JSON and on stderr', async () => {
  let objectReads = 0;
  const sequence: Fault[] = ['throttle', 'cut_body', 'stall_body', 'stall_response'];
  proxy.set((request) => (request.kind === 'get_object' ? sequence[objectReads++] : undefined));
  const out = join(scratch, 'cli.parquet');
  const reportPath = join(scratch, 'cli-report.json');
  const started = performance.now();
  const run = await runCliProcess(['s3://events/many', '--partitions', '2021-01-23-10', '--out', out, '--report', reportPath, ...cliS3], cliEnv);
  const seconds = (performance.now() - started) / 1000;
  assert.is(run.code, 0, run.stderr);
  assert.ok(seconds < 15, `two stalls of 0.4 s, not of the 30 s default: ${seconds.toFixed(1)} s`);
  const report = JSON.parse(await readFile(reportPath, 'utf8'));
  assert.equal(report.retries, { ...noRetries(), throttled: 1, body_cut: 1, body_timeout: 1, timeout: 1 });
  assert.match(run.stderr, 'retried 4 S3 request(s) after network faults: 1 throttled, 1 timeout, 1 body_cut, 1 body_timeout');
});

test('every object body cut, every attempt: one line naming the object, bounded time, nothing written', async () => {
  proxy.set((request) => (request.kind === 'get_object' ? 'cut_body' : undefined));
  const out = join(scratch, 'never.parquet');
  const started = performance.now();
  const run = await runCliProcess(['s3://events/golden/example/input', '--out', out, ...cliS3], cliEnv);
  assert.is(run.code, 1, run.stderr);
  assert.match(run.stderr.trim(), /^consent-metrics: cannot read s3:\/\/events\/golden\/example\/input\/datehour=2021-01-23-1[01]\/part-[^ ]+\.json: aborted \(after 5 attempt\(s\)\)$/);
  assert.ok((performance.now() - started) / 1000 < 30);
  assert.not.ok(existsSync(out));
});

test('checksums: each object\'s body corrupted once is read again whole, on threads, on this thread and by a plain SDK client: exact, retries counted', async () => {
  const root = 's3://events/many';
  proxy.set(() => undefined);
  const clean = await runJob({ root, s3 });
  // Our client checks the bodies itself; a plain SDK client given ready-made checks them as the SDK does.
  const plainClient = new S3Client({ endpoint: proxy.endpoint, forcePathStyle: true, region: 'us-east-1', credentials: S3RVER_CREDENTIALS });
  for (const options of [{ s3 }, { s3: { client: createS3Client(s3) } }, { s3: { client: plainClient } }] as { s3: S3Options }[]) {
    const corrupted = new Set<string>();
    proxy.set((request) => (request.kind === 'get_object' && !corrupted.has(request.path) ? (corrupted.add(request.path), 'corrupt_body') : undefined));
    const run = await runJob({ root, ...options });
    assert.equal(run.metrics.objects(), clean.metrics.objects());
    assert.equal(reportCounts(run.report), reportCounts(clean.report));
    assert.is(proxy.injected.corrupt_body, 120, 'every object corrupted once (a whole-object GET with a checksum)');
    if (!options.s3.client) assert.equal(run.report.retries, { ...noRetries(), checksum: 120 });
    options.s3.client?.destroy();
  }
});

test('checksums: a body always corrupted fails the run with one line naming the object and the checksums, nothing written', async () => {
  proxy.set((request) => (request.kind === 'get_object' ? 'corrupt_body' : undefined));
  const out = join(scratch, 'never-corrupt.parquet');
  const run = await runCliProcess(['s3://events/golden/example/input', '--out', out, ...cliS3], cliEnv);
  assert.is(run.code, 1, run.stderr);
  assert.match(run.stderr.trim(), /^consent-metrics: cannot read s3:\/\/events\/golden\/example\/input\/datehour=2021-01-23-1[01]\/part-[^ ]+\.json does not match its checksum: expected "[A-Za-z0-9+/=]{12}" \(x-amz-checksum-crc64nvme\), the body's is "[A-Za-z0-9+/=]{12}" \(read 5 times\)$/);
  assert.not.ok(existsSync(out));
});

test('checksums off (S3Options.checksums, --checksums off): none asked for, none checked', async () => {
  proxy.set((request) => (request.kind === 'get_object' ? 'corrupt_body' : undefined));
  const run = await runJob({ root: 's3://events/golden/example/input', s3: { ...s3, checksums: false } });
  assert.is(proxy.injected.corrupt_body, 0, 'no answer carried a checksum to corrupt');
  assert.is(run.report.events, 57);
  const cli = await runCliProcess(['s3://events/golden/example/input', '--checksums', 'off', '--format', 'csv', ...cliS3], cliEnv);
  assert.is(cli.code, 0, cli.stderr);
  assert.is(proxy.injected.corrupt_body, 0);
});

test('every body stalls, every attempt: fails after the idle timeouts, nothing written', async () => {
  proxy.set((request) => (request.kind === 'get_object' ? 'stall_body' : undefined));
  const key = 'never/stalled.parquet';
  const started = performance.now();
  const run = await runCliProcess(['s3://events/golden/example/input', '--out', `s3://results/${key}`, '--attempts', '3', ...cliS3], cliEnv);
  assert.is(run.code, 1, run.stderr);
  assert.match(run.stderr.trim(), /^consent-metrics: cannot read s3:\/\/events\/golden\/example\/input\/.+: .*timed out.* \(after 3 attempt\(s\)\)$/);
  assert.ok((performance.now() - started) / 1000 < 30);
  proxy.set(() => undefined);
  assert.not.ok(await exists('results', key));
});

test('every request throttled: the listing fails with one line once the attempts are spent', async () => {
  proxy.set(() => 'throttle');
  const started = performance.now();
  const run = await runCliProcess(['s3://events/golden/example/input', '--attempts', '3', ...cliS3], cliEnv);
  assert.equal([run.code, run.stderr.trim()], [1, 'consent-metrics: S3 error listing s3://events/golden/example/input/: SlowDown (HTTP 503): injected']);
  assert.ok((performance.now() - started) / 1000 < 30);
});

test('an object replaced while its body was cut: the run fails instead of splicing two versions', async () => {
  const key = 'replaced/datehour=2021-01-23-10/part-0.json';
  await server.client.send(new PutObjectCommand({ Bucket: 'events', Key: key, Body: eventLine({ id: 'old' }) + '\n' }));
  let cut = false;
  proxy.set(
    (request) => (request.kind === 'get_object' && !cut ? ((cut = true), 'cut_body') : undefined),
    async () => {
      await server.client.send(new PutObjectCommand({ Bucket: 'events', Key: key, Body: eventLine({ id: 'new, and longer' }) + '\n' }));
    },
  );
  const error = await runJob({ root: 's3://events/replaced', s3 }).catch((e: Error) => e);
  assert.is((error as Error).message, `s3://events/${key} was replaced while it was read; rerun to read the new version`);
});

test('writes: a PutObject and every UploadPart cut mid-body once are retried, and the objects are whole', async () => {
  // Every other upload attempt is cut: each of the 4 bodies (3 parts, 1 PutObject) is cut once, then sent whole.
  let puts = 0;
  proxy.set((request) => (request.kind === 'put' && puts++ % 2 === 0 ? 'cut_request' : undefined));
  const client = createS3Client(s3);
  const big = new Uint8Array(11 * 1024 * 1024).map((_, i) => (i * 2654435761) >>> 24);
  const small = new TextEncoder().encode('small object');
  await s3Sink('s3://results/written/', { client, partSize: 5 * 1024 * 1024 }).write([{ key: 'big.bin', bytes: big }, { key: 'small.bin', bytes: small }]);
  assert.is(proxy.injected.cut_request, 4, 'three parts and one PutObject, each cut once');
  proxy.set(() => undefined);
  assert.equal(await download('results', 'written/big.bin'), big);
  assert.equal(await download('results', 'written/small.bin'), small);
});

test('writes: a multipart upload whose parts always fail is aborted, no part left behind (ListMultipartUploads)', async () => {
  proxy.set(() => undefined);
  const client = createS3Client({ ...s3, maxAttempts: 2 });
  // The listing sees an upload in progress, and the abort removes it: the check below can fail.
  const { UploadId } = await client.send(new CreateMultipartUploadCommand({ Bucket: 'results', Key: 'probe.bin' }));
  assert.equal((await client.send(new ListMultipartUploadsCommand({ Bucket: 'results' }))).Uploads?.map((upload) => upload.Key), ['probe.bin']);
  await client.send(new AbortMultipartUploadCommand({ Bucket: 'results', Key: 'probe.bin', UploadId }));
  assert.is((await client.send(new ListMultipartUploadsCommand({ Bucket: 'results' }))).Uploads, undefined);

  proxy.set((request) => (request.kind === 'put' ? 'cut_request' : undefined));
  const bytes = new Uint8Array(11 * 1024 * 1024).fill(7);
  const error = await s3Sink('s3://results/failed/', { client, partSize: 5 * 1024 * 1024 }).write([{ key: 'big.bin', bytes }]).catch((e: Error) => e);
  assert.match((error as Error).message, /^cannot reach S3 writing s3:\/\/results\/failed\/big\.bin: (ECONNRESET|EPIPE)$/);
  proxy.set(() => undefined);
  assert.is((await client.send(new ListMultipartUploadsCommand({ Bucket: 'results' }))).Uploads, undefined);
  assert.not.ok(await exists('results', 'failed/big.bin'));
});

test('a connection that never opens times out after connectTimeout and is retried, then fails with one line', async () => {
  const { port, stop } = await serverThatNeverAccepts();
  try {
    const started = performance.now();
    const error = await runJob({ root: 's3://events/golden', s3: { ...s3, endpoint: `http://127.0.0.1:${port}`, connectTimeout: 300, maxAttempts: 2 } })
      .catch((e: Error) => e);
    const seconds = (performance.now() - started) / 1000;
    assert.is((error as Error).message, 'cannot reach S3 listing s3://events/golden/: TimeoutError');
    assert.ok(seconds >= 0.6 && seconds < 10, `two attempts of 0.3 s: ${seconds.toFixed(2)} s`);
  } finally {
    await stop();
  }
});

/**
 * A listening socket whose accept queue is full (a backlog of one, filled, never accepted): the
 * kernel drops further connection attempts, so a connect hangs as it does towards a dead host.
 * Node accepts every connection, so this is a small Python process.
 */
async function serverThatNeverAccepts(): Promise<{ port: number; stop: () => Promise<void> }> {
  const script = [
    'import socket, sys, time',
    's = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(0)',
    'port = s.getsockname()[1]',
    'fillers = []',
    'for _ in range(4):',
    '    c = socket.socket(); c.setblocking(False)',
    '    try: c.connect(("127.0.0.1", port))',
    '    except BlockingIOError: pass',
    '    fillers.append(c)',
    'time.sleep(0.2); print(port, flush=True); sys.stdin.read()',
  ].join('\n');
  const child = spawn('python3', ['-c', script], { stdio: ['pipe', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout.once('data', (data) => resolve(Number(String(data).trim())));
    child.once('error', reject);
  });
  return { port, stop: () => new Promise((resolve) => { child.once('exit', () => resolve()); child.stdin.end(); }) };
}

test.after(async () => {
  await proxy.stop();
  await server.stop();
  await rm(scratch, { recursive: true, force: true });
});
test.run();
