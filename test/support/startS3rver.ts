// Starts s3rver (a real S3 HTTP server) as a child process on 127.0.0.1 and a free port. Its
// paginated listing needs --openssl-legacy-provider, hence a child process rather than in-process.
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';

const S3RVER_BIN = join(createRequire(import.meta.url).resolve('s3rver/package.json'), '..', 'bin', 's3rver.js');
/** s3rver's fixed test credentials. */
export const S3RVER_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

export async function startS3rver(buckets: string[]) {
  const directory = await mkdtemp(join(tmpdir(), 'consent-metrics-s3rver-'));
  const child = spawn(process.execPath, [
    '--openssl-legacy-provider', S3RVER_BIN, '-d', directory, '-a', '127.0.0.1', '-p', '0', '--silent',
    ...buckets.flatMap((bucket) => ['--configure-bucket', bucket]),
  ], { stdio: ['ignore', 'pipe', 'pipe'] });
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);

  const endpoint = await new Promise<string>((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => reject(new Error(`s3rver did not start: ${output}`)), 15_000);
    const onData = (chunk: Buffer) => {
      output += chunk;
      const match = /listening on ([\d.]+):(\d+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(`http://${match[1]}:${match[2]}`);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`s3rver exited with ${code}: ${output}`)));
  });

  const client = new S3Client({ endpoint, forcePathStyle: true, region: 'us-east-1', credentials: S3RVER_CREDENTIALS });
  return {
    endpoint,
    client,
    /** The server's process id (a benchmark reads its CPU time). */
    pid: child.pid!,
    /** s3rver's storage folder. */
    directory,
    async stop() {
      client.destroy();
      process.removeListener('exit', killOnExit);
      await new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill();
      });
      await rm(directory, { recursive: true, force: true });
    },
  };
}
